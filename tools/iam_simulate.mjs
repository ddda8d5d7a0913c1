#!/usr/bin/env node
// Offline IAM evaluation for cris-guard's access-scenario tests.
//
// Reads one JSON document on stdin:
//   {"policies": {"<name>": <IAM policy document>, ...},
//    "serviceControlPolicies": {"<name>": <SCP document>, ...},       (optional)
//    "requests": [{"principal": "<arn>", "action": "<svc:Action>", "resource": "<arn>",
//                  "context": {"<key>": "<value>" | ["<value>", ...]},
//                  "vpcEndpointPolicies": {"<name>": <VPC endpoint policy document>, ...}}, ...]}
//                                                                     (optional, per request)
// and writes one JSON document on stdout:
//   {"results": [{"decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied",
//                 "deciding": ["<policyName>#<Sid, or 1-based statement index>", ...],
//                 "implicitlyDeniedBy": ["identity" | "vpce", ...]}, ...]}
// with one result per request, in order. "deciding" names the matching Allow statements of an Allowed
// request (identity policies and VPC endpoint policies; never the SCP layer's) and the matching Deny
// statements (identity policies, SCPs and VPC endpoint policies) of an ExplicitlyDenied one; it is empty
// for an implicit deny. "implicitlyDeniedBy" names, for an ImplicitlyDenied request only, the layers
// in which no statement allows it ("identity": the identity policies; "vpce": the VPC endpoint
// policies); it is empty otherwise.
// "policies" are identity policies attached to the principal. "serviceControlPolicies", when given,
// are evaluated as a deny-list organization would have them (rollout-facts C4): attached at the root
// next to AWS's FullAWSAccess, with FullAWSAccess also on the account, so a request passes the SCP
// layer unless one of them denies it. Without them there is no SCP layer. A request's
// "vpcEndpointPolicies", when given and not empty, are the policies of the VPC endpoint the request
// goes through (iam-simulate's vpcEndpointPolicies layer): the request must also be allowed by them,
// and any of their Deny statements that matches denies it; without them the request goes through no
// endpoint. Their names must differ from the identity policies', the SCPs' and FullAWSAccess. Endpoint
// policies need a Principal in every statement (as AWS requires); it is not compared with the request's
// principal (iam-simulate matches any principal in this layer). There are no RCPs beyond iam-simulate's
// default, no permission boundaries and no resource policies.
//
// Any problem (malformed input, a policy or request the simulator rejects, a context key that
// does not apply to the request) is reported on stderr with exit code 2 and no stdout: a test
// must never pass because its input was silently ignored.
//
// The evaluator is @cloud-copilot/iam-simulate (AGPL-3.0-or-later), pinned in package.json. It is
// run only as this separate process at test time and is never linked into cris-guard.

import { readFileSync } from 'node:fs';
import {
  getDenialReasons,
  getGrantReasons,
  isConditionKeyArray,
  runSimulation,
  runUnsafeSimulation,
  typeForContextKey,
} from '@cloud-copilot/iam-simulate';

class InputError extends Error {}

// Quirk of iam-simulate 0.1.173 (with iam-data 0.21): Bedrock's global cross-Region inference
// authorizes the Region-less foundation-model ARN `arn:<partition>:bedrock:::foundation-model/<model>`
// (cris-facts §2.4), but iam-data's foundation-model pattern
// `arn:${Partition}:bedrock:${Region}::foundation-model/${ResourceId}` needs a non-empty Region, so
// runSimulation rejects that ARN with `no.resource.types`. Its core engine matches the ARN as IAM's
// glob rules say: an exact Region-less policy ARN matches, `arn:aws:bedrock:eu-*::...` does not, and
// a `*` Region matches the empty Region (whether IAM itself does the last is UNCONFIRMED). So for
// these requests a twin with a placeholder Region goes through runSimulation for validation only
// (same action, resource type, policies and context keys; its decision is discarded), and the real
// ARN is evaluated with runUnsafeSimulation, which skips the resource-type lookup. runUnsafeSimulation
// leaves the VPC endpoint layer out (it passes no vpcEndpointPolicies to the engine), so that layer is
// evaluated on its own and combined the way iam-simulate's DefaultServiceAuthorizer combines it:
// regionlessWithEndpoint, below.
// `aws:RequestedRegion` = "unspecified" needs no special handling: iam-simulate accepts any string
// value for the key and compares it like any other.
const REGIONLESS_FOUNDATION_MODEL = /^arn:([^:]+):bedrock:::foundation-model\/(.+)$/;
const TWIN_PLACEHOLDER_REGION = 'us-east-1';

// The AWS-managed SCP Organizations attaches to every root, OU and account by default (rollout-facts C4).
const FULL_AWS_ACCESS = {
  name: 'FullAWSAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
};
const ROOT_ID = 'r-root';

function fail(message) {
  process.stderr.write(`iam_simulate: ${message}\n`);
  process.exit(2);
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseInput(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`stdin is not valid JSON: ${err.message}`);
  }
  if (!isPlainObject(doc) || !isPlainObject(doc.policies) || !Array.isArray(doc.requests)) {
    throw new InputError('expected {"policies": {name: policy, ...}, "requests": [...]}');
  }
  doc.serviceControlPolicies ??= {};
  if (!isPlainObject(doc.serviceControlPolicies)) {
    throw new InputError('"serviceControlPolicies" must be {name: policy, ...}');
  }
  for (const [kind, policies] of [['policy', doc.policies], ['SCP', doc.serviceControlPolicies]]) {
    for (const [name, policy] of Object.entries(policies)) {
      if (!isPlainObject(policy)) {
        throw new InputError(`${kind} ${JSON.stringify(name)} is not a JSON object`);
      }
    }
  }
  const clash = Object.keys(doc.serviceControlPolicies).find((name) => name in doc.policies || name === FULL_AWS_ACCESS.name);
  if (clash !== undefined) {
    throw new InputError(`SCP name ${JSON.stringify(clash)} is also an identity policy or FullAWSAccess; names must be unique`);
  }
  const taken = (name) => name in doc.policies || name in doc.serviceControlPolicies || name === FULL_AWS_ACCESS.name;
  doc.requests.forEach((request, index) => {
    const where = `request ${index}`;
    if (!isPlainObject(request)) {
      throw new InputError(`${where} is not a JSON object`);
    }
    for (const field of ['principal', 'action', 'resource']) {
      if (typeof request[field] !== 'string' || request[field] === '') {
        throw new InputError(`${where}: "${field}" must be a non-empty string`);
      }
    }
    if (!isPlainObject(request.context ?? {})) {
      throw new InputError(`${where}: "context" must be an object`);
    }
    if (!isPlainObject(request.vpcEndpointPolicies ?? {})) {
      throw new InputError(`${where}: "vpcEndpointPolicies" must be {name: policy, ...}`);
    }
    for (const [name, policy] of Object.entries(request.vpcEndpointPolicies ?? {})) {
      if (!isPlainObject(policy)) {
        throw new InputError(`${where}: VPC endpoint policy ${JSON.stringify(name)} is not a JSON object`);
      }
      if (taken(name)) {
        throw new InputError(
          `${where}: VPC endpoint policy name ${JSON.stringify(name)} is also an identity policy, an SCP or` +
            ' FullAWSAccess; names must be unique',
        );
      }
    }
  });
  return doc;
}

// The request's resource account. Bedrock models and inference profiles have no resource-based
// policy (source and caveat: cris_guard/policy_eval.py), so the caller's identity policies alone decide. iam-simulate expresses that as a
// same-account request; a foundation-model ARN's empty account field would otherwise make every
// request cross-account and implicitly denied.
function principalAccount(principal, where) {
  const match = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(principal);
  if (!match) {
    throw new InputError(`${where}: principal ${principal} is not an IAM or STS ARN with an account`);
  }
  return match[1];
}

// IAM sets aws:PrincipalArn on every signed request, and SCP exemptions key on it (cris_guard/scp.py); the
// simulator only sees what the request context holds, so it is derived from the principal unless the
// request gives it: a role session's ARN becomes its role's ARN (IAM's documented value for roles:
// "For IAM roles, the request context returns the ARN of the role", IAM condition-keys reference),
// without the role path, which an assumed-role ARN does not carry; any other principal ARN is used as is.
const ASSUMED_ROLE = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

function withPrincipalArn(principal, context) {
  if ('aws:PrincipalArn' in context) {
    return context;
  }
  const session = ASSUMED_ROLE.exec(principal);
  const principalArn = session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : principal;
  return { 'aws:PrincipalArn': principalArn, ...context };
}

// Coerce context values to the type iam-data declares for each key. runSimulation would keep only
// the first element of a list given for a single-valued key; that hides mistakes, so it is an error.
async function normalizeContext(context, where) {
  const normalized = {};
  for (const [key, value] of Object.entries(context)) {
    const isList = Array.isArray(value);
    if (!(typeof value === 'string' || (isList && value.every((item) => typeof item === 'string')))) {
      throw new InputError(`${where}: context value of ${key} must be a string or a list of strings`);
    }
    let keyType;
    try {
      keyType = await typeForContextKey(key);
    } catch {
      throw new InputError(`${where}: unknown context key ${key}`);
    }
    if (isConditionKeyArray(keyType)) {
      normalized[key] = isList ? value : [value];
    } else if (isList) {
      throw new InputError(`${where}: context key ${key} is single-valued (${keyType}) but got a list`);
    } else {
      normalized[key] = value;
    }
  }
  return normalized;
}

// statementIndex is 1-based, as iam-simulate reports it.
function statementLabel(policyName, statementId, statementIndex) {
  return `${policyName}#${statementId ?? statementIndex}`;
}

async function validatedSimulation(simulation, where) {
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') {
    throw new InputError(`${where}: simulator rejected the request: ${JSON.stringify(response.errors)}`);
  }
  if (response.resultType !== 'single') {
    throw new InputError(`${where}: resource must be a concrete ARN without wildcards`);
  }
  const ignored = response.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) {
    throw new InputError(
      `${where}: context keys ${ignored.join(', ')} do not apply to ${simulation.request.action} ` +
        `on ${simulation.request.resource.resource}; the simulator would drop them`,
    );
  }
  return response;
}

// For an Allowed request the identity-policy and VPC endpoint policy grants are named (a request through
// an endpoint needs both); the SCP layer's grant is always FullAWSAccess, which says nothing about
// cris-guard's policies. For an ImplicitlyDenied request, the layers that allow nothing of it.
function decidingFromAnalysis(analysis) {
  if (analysis.result === 'Allowed') {
    const deciding = getGrantReasons(analysis)
      .filter((grant) => grant.policyType === 'identity' || grant.policyType === 'vpce')
      .map((grant) => statementLabel(grant.policyIdentifier, grant.statementId, grant.statementIndex));
    return { deciding, implicitlyDeniedBy: [] };
  }
  const denials = getDenialReasons(analysis);
  const deciding = denials
    .filter((denial) => denial.denialType === 'Explicit')
    .map((denial) => statementLabel(denial.policyIdentifier, denial.statementId, denial.statementIndex));
  const implicitlyDeniedBy = analysis.result !== 'ImplicitlyDenied' ? [] : [
    ...new Set(denials.filter((denial) => denial.denialType === 'Implicit').map((denial) => denial.policyType)),
  ];
  return { deciding, implicitlyDeniedBy };
}

// runUnsafeSimulation returns only the decision, so statements are attributed by evaluating each
// statement on its own, as the only identity policy and with no SCP layer: an Allow statement (of an
// identity policy or a VPC endpoint policy) decides an Allowed request when it alone allows it, a Deny
// statement (of an identity policy, an SCP or a VPC endpoint policy; a Deny means the same in each)
// decides an ExplicitlyDenied request when it alone denies it.
function decidingByStatement(simulation, policies, scps, endpointPolicies, decision) {
  if (decision === 'ImplicitlyDenied') {
    return [];
  }
  const wanted = decision === 'Allowed' ? 'Allow' : 'Deny';
  const candidates = decision === 'Allowed' ? { ...policies, ...endpointPolicies }
    : { ...policies, ...scps, ...endpointPolicies };
  const deciding = [];
  for (const [name, policy] of Object.entries(candidates)) {
    [policy.Statement].flat().forEach((statement, offset) => {
      if (statement.Effect !== wanted) {
        return;
      }
      const alone = { Version: policy.Version, Statement: [statement] };
      const result = runUnsafeSimulation(
        { ...simulation, identityPolicies: [{ name, policy: alone }], serviceControlPolicies: [],
          vpcEndpointPolicies: undefined },
        {},
      );
      if (result === decision) {
        deciding.push(statementLabel(name, statement.Sid, offset + 1));
      }
    });
  }
  return deciding;
}

function scpLevels(scps, accountId) {
  if (Object.keys(scps).length === 0) {
    return [];
  }
  const attached = Object.entries(scps).map(([name, policy]) => ({ name, policy }));
  return [
    { orgIdentifier: ROOT_ID, policies: [FULL_AWS_ACCESS, ...attached] },
    { orgIdentifier: accountId, policies: [FULL_AWS_ACCESS] },
  ];
}

// The Region-less path's decision with the VPC endpoint layer: runUnsafeSimulation of the endpoint
// policies on their own (as identity policies: this engine matches any principal in both layers), then
// combined as DefaultServiceAuthorizer does: an explicit deny in either wins, then an implicit deny in
// either, else Allowed.
function regionlessWithEndpoint(simulation, endpointPolicies) {
  const core = runUnsafeSimulation(simulation, {});
  const entries = Object.entries(endpointPolicies).map(([name, policy]) => ({ name, policy }));
  if (entries.length === 0) {
    return { decision: core, implicitlyDeniedBy: core === 'ImplicitlyDenied' ? ['identity'] : [] };
  }
  const endpoint = runUnsafeSimulation(
    { ...simulation, identityPolicies: entries, serviceControlPolicies: [], vpcEndpointPolicies: undefined },
    {},
  );
  const results = [core, endpoint];
  if (results.includes('ExplicitlyDenied')) {
    return { decision: 'ExplicitlyDenied', implicitlyDeniedBy: [] };
  }
  if (results.includes('ImplicitlyDenied')) {
    // With FullAWSAccess at every level the SCP layer never denies implicitly: the core's implicit deny is the
    // identity policies'.
    const layers = [...(core === 'ImplicitlyDenied' ? ['identity'] : []), ...(endpoint === 'ImplicitlyDenied' ? ['vpce'] : [])];
    return { decision: 'ImplicitlyDenied', implicitlyDeniedBy: layers };
  }
  return { decision: 'Allowed', implicitlyDeniedBy: [] };
}

async function evaluate(request, index, policies, identityPolicies, scps) {
  const where = `request ${index}`;
  const accountId = principalAccount(request.principal, where);
  const endpointPolicies = request.vpcEndpointPolicies ?? {};
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId },
      contextVariables: await normalizeContext(withPrincipalArn(request.principal, request.context ?? {}), where),
    },
    identityPolicies,
    serviceControlPolicies: scpLevels(scps, accountId),
    resourceControlPolicies: [],
  };
  if (Object.keys(endpointPolicies).length > 0) {
    simulation.vpcEndpointPolicies = Object.entries(endpointPolicies).map(([name, policy]) => ({ name, policy }));
  }

  const regionless = REGIONLESS_FOUNDATION_MODEL.exec(request.resource);
  if (!regionless) {
    const response = await validatedSimulation(simulation, where);
    return { decision: response.overallResult, ...decidingFromAnalysis(response.result.analysis) };
  }

  const [, partition, modelId] = regionless;
  const twinResource = `arn:${partition}:bedrock:${TWIN_PLACEHOLDER_REGION}::foundation-model/${modelId}`;
  const twin = {
    ...simulation,
    request: { ...simulation.request, resource: { ...simulation.request.resource, resource: twinResource } },
  };
  await validatedSimulation(twin, where);
  const { decision, implicitlyDeniedBy } = regionlessWithEndpoint(simulation, endpointPolicies);
  return { decision, deciding: decidingByStatement(simulation, policies, scps, endpointPolicies, decision), implicitlyDeniedBy };
}

async function main() {
  const input = parseInput(readFileSync(0, 'utf8'));
  const identityPolicies = Object.entries(input.policies).map(([name, policy]) => ({ name, policy }));
  // Check builders repeat checks (the same profile check for several scenarios); identical
  // requests against the same policies have identical results.
  const cache = new Map();
  const results = [];
  for (const [index, request] of input.requests.entries()) {
    const key = JSON.stringify([request.principal, request.action, request.resource, request.context ?? {},
      request.vpcEndpointPolicies ?? {}]);
    if (!cache.has(key)) {
      cache.set(key, await evaluate(request, index, input.policies, identityPolicies, input.serviceControlPolicies));
    }
    results.push(cache.get(key));
  }
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}

main().catch((err) => fail(err instanceof InputError ? err.message : `simulator error: ${err.stack ?? err}`));

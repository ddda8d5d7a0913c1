#!/usr/bin/env node
// Offline IAM evaluation for cris-guard's access-scenario tests.
//
// Reads one JSON document on stdin:
//   {"policies": {"<name>": <IAM policy document>, ...},
//    "requests": [{"principal": "<arn>", "action": "<svc:Action>", "resource": "<arn>",
//                  "context": {"<key>": "<value>" | ["<value>", ...]}}, ...]}
// and writes one JSON document on stdout:
//   {"results": [{"decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied",
//                 "deciding": ["<policyName>#<Sid, or 1-based statement index>", ...]}, ...]}
// with one result per request, in order. "deciding" names the matching Allow statements of an
// Allowed request and the matching Deny statements of an ExplicitlyDenied one; it is empty for an
// implicit deny. Every policy is treated as an identity policy attached to the principal; there
// are no SCPs, RCPs, permission boundaries or resource policies.
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
// ARN is evaluated with runUnsafeSimulation, which skips the resource-type lookup.
// `aws:RequestedRegion` = "unspecified" needs no special handling: iam-simulate accepts any string
// value for the key and compares it like any other.
const REGIONLESS_FOUNDATION_MODEL = /^arn:([^:]+):bedrock:::foundation-model\/(.+)$/;
const TWIN_PLACEHOLDER_REGION = 'us-east-1';

const EMPTY_GUARDRAILS = { serviceControlPolicies: [], resourceControlPolicies: [] };

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
  for (const [name, policy] of Object.entries(doc.policies)) {
    if (!isPlainObject(policy)) {
      throw new InputError(`policy ${JSON.stringify(name)} is not a JSON object`);
    }
  }
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

function decidingFromAnalysis(analysis) {
  if (analysis.result === 'Allowed') {
    return getGrantReasons(analysis).map((grant) =>
      statementLabel(grant.policyIdentifier, grant.statementId, grant.statementIndex),
    );
  }
  return getDenialReasons(analysis)
    .filter((denial) => denial.denialType === 'Explicit')
    .map((denial) => statementLabel(denial.policyIdentifier, denial.statementId, denial.statementIndex));
}

// runUnsafeSimulation returns only the decision, so statements are attributed by evaluating each
// statement on its own: an Allow statement decides an Allowed request when it alone allows it, a
// Deny statement decides an ExplicitlyDenied request when it alone denies it.
function decidingByStatement(simulation, policies, decision) {
  if (decision === 'ImplicitlyDenied') {
    return [];
  }
  const wanted = decision === 'Allowed' ? 'Allow' : 'Deny';
  const deciding = [];
  for (const [name, policy] of Object.entries(policies)) {
    [policy.Statement].flat().forEach((statement, offset) => {
      if (statement.Effect !== wanted) {
        return;
      }
      const alone = { Version: policy.Version, Statement: [statement] };
      const result = runUnsafeSimulation(
        { ...simulation, identityPolicies: [{ name, policy: alone }] },
        {},
      );
      if (result === decision) {
        deciding.push(statementLabel(name, statement.Sid, offset + 1));
      }
    });
  }
  return deciding;
}

async function evaluate(request, index, policies, identityPolicies) {
  const where = `request ${index}`;
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: principalAccount(request.principal, where) },
      contextVariables: await normalizeContext(request.context ?? {}, where),
    },
    identityPolicies,
    ...EMPTY_GUARDRAILS,
  };

  const regionless = REGIONLESS_FOUNDATION_MODEL.exec(request.resource);
  if (!regionless) {
    const response = await validatedSimulation(simulation, where);
    return { decision: response.overallResult, deciding: decidingFromAnalysis(response.result.analysis) };
  }

  const [, partition, modelId] = regionless;
  const twinResource = `arn:${partition}:bedrock:${TWIN_PLACEHOLDER_REGION}::foundation-model/${modelId}`;
  const twin = {
    ...simulation,
    request: { ...simulation.request, resource: { ...simulation.request.resource, resource: twinResource } },
  };
  await validatedSimulation(twin, where);
  const decision = runUnsafeSimulation(simulation, {});
  return { decision, deciding: decidingByStatement(simulation, policies, decision) };
}

async function main() {
  const input = parseInput(readFileSync(0, 'utf8'));
  const identityPolicies = Object.entries(input.policies).map(([name, policy]) => ({ name, policy }));
  // Check builders repeat checks (the same profile check for several scenarios); identical
  // requests against the same policies have identical results.
  const cache = new Map();
  const results = [];
  for (const [index, request] of input.requests.entries()) {
    const key = JSON.stringify([request.principal, request.action, request.resource, request.context ?? {}]);
    if (!cache.has(key)) {
      cache.set(key, await evaluate(request, index, input.policies, identityPolicies));
    }
    results.push(cache.get(key));
  }
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}

main().catch((err) => fail(err instanceof InputError ? err.message : `simulator error: ${err.stack ?? err}`));

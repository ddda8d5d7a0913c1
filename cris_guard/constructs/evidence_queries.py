"""Residency evidence at organization scale: Athena over the trail bucket, without moving the logs (issue 14).

In the trail's home Region: a Glue database and a CloudTrail table over the trail bucket with partition
projection (account, Region, delivery day: no crawler, no ``ALTER TABLE ADD PARTITION``), an Athena workgroup
whose settings are enforced (results encrypted with KMS into a bucket that expires them, a cutoff of bytes
scanned per query, CloudWatch metrics), the evidence questions as named queries, and an optional read-only
auditor role.

The table follows AWS's DDL (Athena User Guide, "Create the table for CloudTrail logs in Athena using
partition projection"; ``../shared/reference/evidence-facts.md`` §4): ``JsonSerDe`` with
``CloudTrailInputFormat``, JSON-text ``requestparameters``/``additionaleventdata``. The ``region`` key
projects every commercial Region, not only the source Regions: a call made directly in us-east-1 is a
violation the evidence must show. The named queries' text comes from :mod:`cris_guard.evidence.queries`, the
same text ``cris-guard evidence --engine duckdb`` runs locally; tests require both to agree with the Python
classifier.

Built on L1 resources (``CfnDatabase``, ``CfnTable``, ``CfnWorkGroup``, ``CfnNamedQuery``): the Glue L2 table
cannot name the input format and SerDe of AWS's CloudTrail DDL exactly, and Athena has no L2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cris_guard.constructs import secure_defaults
from cris_guard.evidence.queries import PARTITION_KEYS, TABLE_COLUMNS, athena_queries
from cris_guard.nag import acknowledge, nag_resource_repr
from cris_guard.regions import COMMERCIAL_REGIONS

TABLE_NAME = "cloudtrail_logs"
# Partitions are projected from this day on (CloudTrail files older than this are not queried).
PROJECTION_START = "2024/01/01"
MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024  # Athena's minimum (CloudFormation schema: BytesScannedCutoffPerQuery)
# Read-only Athena actions the auditor role needs to run a named query and read its results.
AUDITOR_ATHENA_ACTIONS = (
    "athena:BatchGetNamedQuery", "athena:GetNamedQuery", "athena:ListNamedQueries", "athena:GetWorkGroup",
    "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
    "athena:GetQueryResults", "athena:ListQueryExecutions",
)


class EvidenceQueries(Construct):
    """Glue table, Athena workgroup, named queries and an optional auditor role over a CloudTrail bucket.

    :param trail_bucket_name: the bucket the trail delivers to (this stack's trail, or an organization trail's).
    :param trail_prefix: the trail's S3 key prefix, before ``AWSLogs/`` ("" for none).
    :param organization_id: for an organization trail, its ``o-…`` folder below ``AWSLogs/``.
    :param accounts: the account IDs to project (tokens allowed, e.g. ``Aws.ACCOUNT_ID``).
    :param database_name: the Glue database (lowercase letters, digits and underscores).
    :param workgroup_name: the Athena workgroup.
    :param bytes_scanned_cutoff: bytes a query may scan before Athena cancels it (at least 10 MiB).
    :param results_retention_days: days before query results expire.
    :param key: KMS key for the results (and the trail bucket's key, which the auditor must decrypt with).
    :param access_logs_bucket: target for the results bucket's server access logs.
    :param auditor_principals: ARNs that may assume the read-only auditor role; none: no role.
    :param trail_key: the KMS key of the trail bucket, for the auditor role to decrypt the logs.
    :param query_policy: approved profiles, roles and application profiles written into the queries.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        trail_bucket_name: str,
        trail_prefix: str,
        organization_id: str | None,
        accounts: Sequence[str],
        database_name: str,
        workgroup_name: str,
        bytes_scanned_cutoff: int,
        results_retention_days: int,
        key: kms.IKey,
        access_logs_bucket: s3.IBucket,
        auditor_principals: Sequence[str] = (),
        trail_key: kms.IKey | None = None,
        query_policy: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(scope, id)
        if bytes_scanned_cutoff < MIN_BYTES_SCANNED_CUTOFF:
            raise ValueError(f"bytes_scanned_cutoff: {bytes_scanned_cutoff} is below Athena's minimum of"
                             f" {MIN_BYTES_SCANNED_CUTOFF} bytes (10 MiB); raise it")
        secure_defaults.require_days("results_retention_days", results_retention_days)
        stack = cdk.Stack.of(self)
        prefix = f"{trail_prefix.strip('/')}/" if trail_prefix.strip("/") else ""
        org = f"{organization_id}/" if organization_id else ""
        self.logs_location = f"s3://{trail_bucket_name}/{prefix}AWSLogs/{org}"
        self.trail_bucket_name = trail_bucket_name

        self.results_bucket = secure_defaults.hardened_bucket(
            self, "ResultsBucket", encryption_key=key, expiration_days=results_retention_days,
            noncurrent_version_retention_days=1, server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix="athena-results-bucket",
        )

        self.database = glue.CfnDatabase(
            self, "Database", catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name, description="cris-guard residency evidence: CloudTrail over the trail bucket"),
        )
        self.table = glue.CfnTable(
            self, "CloudTrailTable", catalog_id=stack.account, database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=TABLE_NAME,
                description="CloudTrail records (AWS's Athena DDL) with partition projection: account, region, day",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "cloudtrail",
                    "projection.enabled": "true",
                    "projection.account.type": "enum",
                    "projection.account.values": ",".join(accounts),
                    "projection.region.type": "enum",
                    "projection.region.values": ",".join(sorted(COMMERCIAL_REGIONS)),
                    "projection.timestamp.type": "date",
                    "projection.timestamp.format": "yyyy/MM/dd",
                    "projection.timestamp.interval": "1",
                    "projection.timestamp.interval.unit": "DAYS",
                    "projection.timestamp.range": f"{PROJECTION_START},NOW",
                    "storage.location.template": self.logs_location + "${account}/CloudTrail/${region}/${timestamp}",
                },
                partition_keys=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in PARTITION_KEYS],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in TABLE_COLUMNS],
                    location=self.logs_location,
                    input_format="com.amazon.emr.cloudtrail.CloudTrailInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hive.hcatalog.data.JsonSerDe"),
                ),
            ),
        )
        self.table.node.add_dependency(self.database)

        self.workgroup = athena.CfnWorkGroup(
            self, "WorkGroup", name=workgroup_name, state="ENABLED",
            description="cris-guard residency evidence: enforced results encryption, expiry and scan cutoff",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results_bucket.bucket_name}/results/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn),
                    expected_bucket_owner=stack.account,
                ),
            ),
        )
        table_ref = f'"{database_name}"."{TABLE_NAME}"'
        self.queries: dict[str, athena.CfnNamedQuery] = {}
        for query in athena_queries(table_ref, **dict(query_policy or {})):
            named = athena.CfnNamedQuery(
                self, "Query" + "".join(part.title() for part in query.name.split("-")),
                name=f"cris-guard {query.name}", description=query.description, database=database_name,
                query_string=query.sql, work_group=self.workgroup.ref,
            )
            named.node.add_dependency(self.table)
            self.queries[query.name] = named

        self.auditor_role: iam.Role | None = None
        if auditor_principals:
            self._build_auditor(auditor_principals, database_name, key, trail_key, prefix, org)

    def _build_auditor(self, principals: Sequence[str], database_name: str, key: kms.IKey,
                       trail_key: kms.IKey | None, prefix: str, org: str) -> None:
        """Read-only: it can run queries in this workgroup on this table and read their results; it cannot
        change the queries, the table, the workgroup or the logs. IAM cannot restrict the text of a query,
        so it can run any SELECT on the table, within the workgroup's scan cutoff."""
        stack = cdk.Stack.of(self)
        partition, region, account = stack.partition, stack.region, stack.account
        role = iam.Role(
            self, "AuditorRole",
            assumed_by=iam.CompositePrincipal(*(iam.ArnPrincipal(arn) for arn in principals)),
            description="cris-guard auditor: runs the residency-evidence Athena queries (read-only)",
            max_session_duration=cdk.Duration.hours(1),
        )
        trail_bucket_arn = f"arn:{partition}:s3:::{self.trail_bucket_name}"
        logs_objects = f"{trail_bucket_arn}/{prefix}AWSLogs/{org}*"
        results_objects = self.results_bucket.arn_for_objects("results/*")
        statements = [
            iam.PolicyStatement(sid="RunEvidenceQueries", actions=list(AUDITOR_ATHENA_ACTIONS),
                                resources=[f"arn:{partition}:athena:{region}:{account}:workgroup/{self.workgroup.ref}"]),
            iam.PolicyStatement(sid="ReadTheCloudTrailTable",
                                actions=["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
                                resources=[f"arn:{partition}:glue:{region}:{account}:catalog",
                                           f"arn:{partition}:glue:{region}:{account}:database/{database_name}",
                                           f"arn:{partition}:glue:{region}:{account}:table/{database_name}/{TABLE_NAME}"]),
            iam.PolicyStatement(sid="ReadTheTrailLogs", actions=["s3:GetObject"], resources=[logs_objects]),
            iam.PolicyStatement(sid="ListTheTrailLogs", actions=["s3:ListBucket", "s3:GetBucketLocation"],
                                resources=[trail_bucket_arn]),
            iam.PolicyStatement(sid="WriteAndReadQueryResults",
                                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
                                         "s3:ListMultipartUploadParts"],
                                resources=[results_objects]),
            iam.PolicyStatement(sid="ListQueryResults", actions=["s3:ListBucket", "s3:GetBucketLocation"],
                                resources=[self.results_bucket.bucket_arn]),
            iam.PolicyStatement(sid="EncryptAndDecryptResults", actions=["kms:GenerateDataKey", "kms:Decrypt"],
                                resources=[key.key_arn]),
        ]
        if trail_key is not None and trail_key is not key:
            statements.append(iam.PolicyStatement(sid="DecryptTheTrailLogs", actions=["kms:Decrypt"],
                                                  resources=[trail_key.key_arn]))
        policy = iam.ManagedPolicy(self, "AuditorPolicy", statements=statements,
                                   description="cris-guard auditor: read-only Athena evidence queries", roles=[role])
        wildcards = {
            logs_objects: "the trail's log objects below AWSLogs/, named by account, Region, day and a random suffix",
            results_objects: "this workgroup's query results below results/, named by query execution ID",
        }
        for resource, what in wildcards.items():
            acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_resource_repr(self, resource)}]",
                        f"Read-only auditor: the wildcard covers only {what}; object names are not known in advance.")
        self.auditor_role = role

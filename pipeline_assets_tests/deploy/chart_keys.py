"""The Dagster Helm chart's value keys that deploy/helm/values.yaml may use, as verified by hand.

The chart cannot be downloaded here, so its keys were read from the chart's sources in the
dagster-io/dagster repository (``helm/dagster/``) and are recorded below as facts: each key path
with the file (and commit) it was read from. A path is dotted; ``[]`` stands for every item of a
list. Paths in OPEN_KEYS hold free-form content (Kubernetes objects, env maps, raw instance
config): the chart passes them through, so what is below them is not a chart key.

When moving to another chart version, check each path against that version's
``helm/dagster/values.yaml``, ``helm/dagster/charts/dagster-user-deployments/values.yaml`` and
``helm/dagster/schema/`` and update CHART_VERSION.
"""

CHART = "dagster (https://dagster-io.github.io/helm)"
CHART_VERSION = "1.13.27"  # versioned with Dagster; uv.lock pins dagster 1.13.27

# Where each key was read (dagster-io/dagster, path@commit).
VALUES_PY = "helm/dagster/schema/schema/charts/dagster/values.py@0f2d9d8"
GLOBAL_PY = "helm/dagster/schema/schema/charts/dagster/subschema/global_.py@e575592"
POSTGRESQL_PY = "helm/dagster/schema/schema/charts/dagster/subschema/postgresql.py@3f2daa0"
SECRET_TPL = "helm/dagster/templates/secret-postgres.yaml@4e5e930 (key postgresql-password)"
USER_DEPLOYMENTS_PY = "helm/dagster/schema/schema/charts/dagster_user_deployments/subschema/user_deployments.py@58b0565"
USER_VALUES_YAML = "helm/dagster/charts/dagster-user-deployments/values.yaml@031a3e8"
RUN_LAUNCHER_PY = "helm/dagster/schema/schema/charts/dagster/subschema/run_launcher.py@0f2d9d8"
RUN_LAUNCHER_TPL = "helm/dagster/templates/helpers/instance/_run-launcher.tpl@a07d616"
DAEMON_PY = "helm/dagster/schema/schema/charts/dagster/subschema/daemon.py@835892b"
RUN_COORDINATOR_TPL = "helm/dagster/templates/helpers/instance/_run-coordinator.tpl@7b87546"
INSTANCE_TPL = "helm/dagster/templates/configmap-instance.yaml@835892b"
RETENTION_PY = "helm/dagster/schema/schema/charts/dagster/subschema/retention.py@bbc1853"
CONCURRENCY_TPL = "helm/dagster/templates/helpers/instance/_concurrency.tpl@99dc34f"

_QRC = "dagsterDaemon.runCoordinator.config.queuedRunCoordinator"
_K8S = "runLauncher.config.k8sRunLauncher"
_UD = "dagster-user-deployments.deployments[]"

KEY_PATHS: dict[str, str] = {
    "global.dagsterHome": GLOBAL_PY,
    "global.postgresqlSecretName": GLOBAL_PY,
    "global.serviceAccountName": GLOBAL_PY,
    "generatePostgresqlPasswordSecret": VALUES_PY,
    "additionalInstanceConfig": VALUES_PY,
    "telemetry.enabled": INSTANCE_TPL,
    "postgresql.enabled": POSTGRESQL_PY,
    "postgresql.postgresqlHost": POSTGRESQL_PY,
    "postgresql.postgresqlUsername": POSTGRESQL_PY,
    "postgresql.postgresqlPassword": POSTGRESQL_PY,
    "postgresql.postgresqlDatabase": POSTGRESQL_PY,
    "postgresql.postgresqlParams": POSTGRESQL_PY,
    "postgresql.postgresqlScheme": POSTGRESQL_PY,
    "postgresql.service.port": POSTGRESQL_PY,
    "dagster-user-deployments.enabled": USER_DEPLOYMENTS_PY,
    "dagster-user-deployments.enableSubchart": USER_DEPLOYMENTS_PY,
    "dagster-user-deployments.imagePullSecrets": USER_DEPLOYMENTS_PY,
    f"{_UD}.name": USER_DEPLOYMENTS_PY,
    f"{_UD}.image.repository": USER_VALUES_YAML,
    f"{_UD}.image.tag": USER_VALUES_YAML,
    f"{_UD}.image.pullPolicy": USER_VALUES_YAML,
    f"{_UD}.dagsterApiGrpcArgs": USER_DEPLOYMENTS_PY,
    f"{_UD}.codeServerArgs": USER_DEPLOYMENTS_PY,
    f"{_UD}.includeConfigInLaunchedRuns.enabled": USER_DEPLOYMENTS_PY,
    f"{_UD}.port": USER_DEPLOYMENTS_PY,
    f"{_UD}.env": USER_DEPLOYMENTS_PY,
    f"{_UD}.envConfigMaps": USER_DEPLOYMENTS_PY,
    f"{_UD}.envSecrets[].name": USER_DEPLOYMENTS_PY,
    f"{_UD}.podSecurityContext": USER_DEPLOYMENTS_PY,
    f"{_UD}.securityContext": USER_DEPLOYMENTS_PY,
    f"{_UD}.resources": USER_DEPLOYMENTS_PY,
    f"{_UD}.labels": USER_DEPLOYMENTS_PY,
    f"{_UD}.volumes": USER_DEPLOYMENTS_PY,
    f"{_UD}.volumeMounts": USER_DEPLOYMENTS_PY,
    "runLauncher.type": RUN_LAUNCHER_PY,
    f"{_K8S}.image": RUN_LAUNCHER_PY,
    f"{_K8S}.imagePullPolicy": RUN_LAUNCHER_PY,
    f"{_K8S}.jobNamespace": RUN_LAUNCHER_PY,
    f"{_K8S}.loadInclusterConfig": RUN_LAUNCHER_PY,
    f"{_K8S}.envConfigMaps": RUN_LAUNCHER_PY,
    f"{_K8S}.envSecrets[].name": RUN_LAUNCHER_TPL,
    f"{_K8S}.envVars": RUN_LAUNCHER_PY,
    f"{_K8S}.volumes": RUN_LAUNCHER_PY,
    f"{_K8S}.volumeMounts": RUN_LAUNCHER_PY,
    f"{_K8S}.labels": RUN_LAUNCHER_PY,
    f"{_K8S}.failPodOnRunFailure": RUN_LAUNCHER_PY,
    f"{_K8S}.resources": RUN_LAUNCHER_PY,
    f"{_K8S}.securityContext": RUN_LAUNCHER_PY,
    f"{_K8S}.runK8sConfig": RUN_LAUNCHER_PY,
    "dagsterDaemon.enabled": DAEMON_PY,
    "dagsterDaemon.runCoordinator.enabled": DAEMON_PY,
    "dagsterDaemon.runCoordinator.type": DAEMON_PY,
    f"{_QRC}.maxConcurrentRuns": DAEMON_PY,
    f"{_QRC}.tagConcurrencyLimits[].key": DAEMON_PY,
    f"{_QRC}.tagConcurrencyLimits[].value": DAEMON_PY,
    f"{_QRC}.tagConcurrencyLimits[].value.applyLimitPerUniqueValue": DAEMON_PY,
    f"{_QRC}.tagConcurrencyLimits[].limit": DAEMON_PY,
    f"{_QRC}.dequeueIntervalSeconds": DAEMON_PY,
    f"{_QRC}.blockOpConcurrencyLimitedRuns.enabled": RUN_COORDINATOR_TPL,
    f"{_QRC}.blockOpConcurrencyLimitedRuns.opConcurrencySlotBuffer": RUN_COORDINATOR_TPL,
    "dagsterDaemon.runMonitoring.enabled": INSTANCE_TPL,
    "dagsterDaemon.runMonitoring.startTimeoutSeconds": INSTANCE_TPL,
    "dagsterDaemon.runMonitoring.cancelTimeoutSeconds": INSTANCE_TPL,
    "dagsterDaemon.runMonitoring.maxResumeRunAttempts": INSTANCE_TPL,
    "dagsterDaemon.runMonitoring.pollIntervalSeconds": INSTANCE_TPL,
    "dagsterDaemon.runMonitoring.freeSlotsAfterRunEndSeconds": INSTANCE_TPL,
    "dagsterDaemon.runRetries.enabled": INSTANCE_TPL,
    "dagsterDaemon.runRetries.maxRetries": INSTANCE_TPL,
    "concurrency.enabled": CONCURRENCY_TPL,
    "retention.enabled": RETENTION_PY,
    "retention.schedule.purgeAfterDays": RETENTION_PY,
    "retention.sensor.purgeAfterDays": RETENTION_PY,
    "retention.sensor.purgeAfterDays.skipped": RETENTION_PY,
    "retention.sensor.purgeAfterDays.success": RETENTION_PY,
    "retention.sensor.purgeAfterDays.failure": RETENTION_PY,
    "retention.sensor.purgeAfterDays.started": RETENTION_PY,
}

# Keys whose content the chart copies as it is (Kubernetes objects, env maps, instance YAML).
OPEN_KEYS = frozenset(
    {
        "additionalInstanceConfig",
        "postgresql.postgresqlParams",
        f"{_UD}.env",
        f"{_UD}.podSecurityContext",
        f"{_UD}.securityContext",
        f"{_UD}.resources",
        f"{_UD}.labels",
        f"{_K8S}.securityContext",
        f"{_K8S}.resources",
        f"{_K8S}.labels",
        f"{_K8S}.runK8sConfig",
    }
)

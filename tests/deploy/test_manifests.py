"""Kubernetes manifests validated offline against the Kubernetes JSON schemas; compose checked.

``kubernetes-validate`` ships the schemas of each Kubernetes release; strict mode rejects
unknown fields, so a misspelt probe fails here rather than being ignored by the cluster.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from relgate.config import load

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes" / "relgate.yaml"
K8S_VERSION = "1.33.0"


def documents() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(MANIFESTS.read_text()) if d]


def by_kind(kind: str) -> dict[str, Any]:
    (doc,) = [d for d in documents() if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("doc", documents(), ids=lambda d: d["kind"])
def test_each_manifest_is_valid_for_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_validator_rejects_a_misspelt_field() -> None:
    deployment = by_kind("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz", "port": 8080}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_the_deployment_probes_limits_and_runs_unprivileged() -> None:
    pod = by_kind("Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["imagePullPolicy"] == "IfNotPresent" and not container["image"].endswith(":latest")
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True and sc["capabilities"]["drop"] == ["ALL"]
    env = {e["name"]: e for e in container["env"]}
    assert env["RELGATE_CONFIG"]["value"] == "/etc/relgate/gateway.toml"
    assert "secretKeyRef" in env["RELGATE_STORE_URL"]["valueFrom"]
    hpa = by_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == by_kind("Deployment")["metadata"]["name"]


def test_the_configmap_carries_deploy_gateway_toml_which_passes_check(tmp_path: Path) -> None:
    carried = by_kind("ConfigMap")["data"]["gateway.toml"]
    assert carried == (ROOT / "deploy" / "gateway.toml").read_text()
    path = tmp_path / "gateway.toml"
    path.write_text(carried)
    config = load(path, environ={"RELGATE_STORE_URL": "postgresql://relgate:secret@postgres:5432/relgate"})
    assert config.store_url == "postgresql://relgate:secret@postgres:5432/relgate"


def test_compose_has_healthchecks_restart_policies_and_no_inline_password() -> None:
    text = (ROOT / "deploy" / "compose.yaml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert set(services) == {"postgres", "backend", "relgate"}
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    assert services["relgate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}, "backend": {"condition": "service_healthy"}}
    assert services["relgate"]["volumes"] == ["./gateway.toml:/data/gateway.toml:ro"]
    assert "/readyz" in " ".join(services["relgate"]["healthcheck"]["test"])
    # every password is interpolated from the environment (deploy/.env), none is written here
    for name, service in services.items():
        for key, value in service.get("environment", {}).items():
            if "PASSWORD" in key:
                assert value.startswith("${"), (name, key)
            for secret in re.findall(r"://[^:/@]+:([^@]+)@", value):
                assert secret.startswith("${"), (name, key)
    assert "${POSTGRES_PASSWORD:?" in services["relgate"]["environment"]["RELGATE_STORE_URL"]

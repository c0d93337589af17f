"""The Kubernetes manifests (deploy/k8s: a kustomize base and a demo overlay) are valid against the
Kubernetes schemas (kubernetes-validate, offline), every kustomization names files that exist, and the
Deployment has what the service needs: probes on /readyz and /healthz, resources, a disruption budget, an
autoscaler, a migration Job, secrets from a Secret, and a NetworkPolicy that lets only the ingress (and
Prometheus) in."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from hub.config.partners_file import parse_partners

K8S = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
VERSION = "1.30.0"


def kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def resources(kustomization: Path) -> list[Path]:
    """The manifest files a kustomization lists (directories are kustomizations of their own)."""
    spec = yaml.safe_load(kustomization.read_text())
    listed = [kustomization.parent / r for r in spec.get("resources", [])]
    return [p for p in listed if p.is_file()]


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for kustomization in kustomizations():
        for path in resources(kustomization):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc:
                    found.append((f"{path.relative_to(K8S)}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return found


@pytest.mark.parametrize(("where", "manifest"), documents(), ids=[w for w, _ in documents()])
def test_every_manifest_is_valid_against_the_kubernetes_schemas(where: str, manifest: dict[str, Any]) -> None:
    kubernetes_validate.validate(manifest, VERSION, strict=True)


def test_the_validation_catches_an_invalid_manifest() -> None:
    deployment = next(
        doc for _, doc in documents() if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "hub"
    )
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


@pytest.mark.parametrize("kustomization", kustomizations(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_kustomization_names_files_that_exist(kustomization: Path) -> None:
    spec = yaml.safe_load(kustomization.read_text())
    for entry in spec.get("resources", []):
        assert (kustomization.parent / entry).exists(), entry
    for patch in spec.get("patches", []):
        assert (kustomization.parent / patch["path"]).is_file(), patch
    for generator in spec.get("configMapGenerator", []):
        for file in generator.get("files", []):
            assert (kustomization.parent / file).is_file(), file


def base(kind: str, name: str) -> dict[str, Any]:
    return next(
        doc
        for where, doc in documents()
        if where.startswith("base/") and (doc["kind"], doc["metadata"]["name"]) == (kind, name)
    )


def test_the_deployment_has_probes_resources_and_secrets_from_a_secret() -> None:
    [container] = base("Deployment", "hub")["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    assert {"secretRef": {"name": "hub-secrets"}} in container["envFrom"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert not any("PASSWORD" in str(value) for value in base("ConfigMap", "hub-settings")["data"].values())


def test_replicas_are_kept_available_scaled_and_migrated_once() -> None:
    assert base("PodDisruptionBudget", "hub")["spec"]["minAvailable"] >= 1
    hpa = base("HorizontalPodAutoscaler", "hub")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "hub" and hpa["minReplicas"] >= 2
    job = base("Job", "hub-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["db", "upgrade"]
    assert base("ConfigMap", "hub-settings")["data"]["HUB_AUTO_MIGRATE"] == "false"


def test_only_the_ingress_and_prometheus_reach_the_hub() -> None:
    policy = base("NetworkPolicy", "hub")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "hub"}
    sources = {
        rule["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in policy["ingress"]
    }
    assert sources == {"ingress-nginx", "monitoring"}
    paths = {p["path"] for rule in base("Ingress", "hub")["spec"]["rules"] for p in rule["http"]["paths"]}
    assert "/metrics" not in paths and "/graphql" in paths


def test_the_demo_overlay_partners_file_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOUTHMOOR_CLIENT_SECRET", "x")
    partners = parse_partners(tomllib.loads((K8S / "overlays" / "demo" / "partners.toml").read_text()))
    assert [p.name for p in partners] == ["northshire", "southmoor", "eastvale"]
    overlay = yaml.safe_load((K8S / "overlays" / "demo" / "kustomization.yaml").read_text())
    assert overlay["namespace"] == "police-hub-demo"
    assert (K8S / "overlays" / "demo" / "kustomization.yaml").read_text().startswith("# DEMO ONLY")

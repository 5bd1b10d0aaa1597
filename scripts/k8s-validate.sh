#!/usr/bin/env bash
# Validates deploy/k8s/*.yaml offline against the API schemas of current Kubernetes
# versions (kubernetes-validate from PyPI, strict: unknown fields are errors), and checks
# that compose.yaml and the .env.example parse. Run by scripts/test.sh (CI).
#   K8S_VERSIONS="1.37.0 1.33.0" scripts/k8s-validate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VALIDATOR_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
K8S_VERSIONS="${K8S_VERSIONS:-1.37.0 1.33.0}"

if [ "$(python3 -m kubernetes_validate --version 2>/dev/null || true)" != "$VALIDATOR_VERSION" ]; then
    pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@" "kubernetes-validate==$VALIDATOR_VERSION"; }
    pip_install 2>/dev/null || pip_install --user 2>/dev/null || pip_install --break-system-packages
fi
status=0
for version in $K8S_VERSIONS; do
    if python3 -m kubernetes_validate --strict --quiet -k "$version" deploy/k8s/*.yaml; then
        echo "PASS  kubernetes-validate --strict $version: $(cd deploy/k8s && echo *.yaml)"
    else
        echo "FAIL  kubernetes-validate --strict $version"
        status=1
    fi
done
if python3 - <<'PY'
import yaml
compose = yaml.safe_load(open("compose.yaml"))
workers = [name for name in compose["services"] if name.startswith("worker")]
assert workers, "no worker services"
for name in workers:
    service = compose["services"][name]
    assert service.get("read_only") is True, f"{name}: read_only"
    assert service.get("env_file") == ".env", f"{name}: env_file .env"
fleet = [line.split()[0] for line in open("deploy/compose/fleet.list") if line.strip() and not line.startswith("#")]
assert sorted(fleet) == sorted(workers), f"deploy/compose/fleet.list {fleet} != compose workers {workers}"
print(f"PASS  compose.yaml parses: {len(compose['services'])} services, workers {' '.join(workers)} match deploy/compose/fleet.list")
PY
then :; else echo "FAIL  compose.yaml"; status=1; fi
exit "$status"

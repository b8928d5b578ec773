# Sourced by the scan benches: semgrep 1.182.0 from PyPI in bench/scan/.venv
# (installed on first use), as $semgrep.
if [ ! -x "$here/.venv/bin/semgrep" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q --disable-pip-version-check semgrep==1.182.0
fi
semgrep="$here/.venv/bin/semgrep"

#!/usr/bin/env bash
# tools/deploy refuses, with one line and exit 2, before it builds or sends
# anything: no terraform, a terraform too old, no AWS credentials, no
# operator_cidr, an architecture this machine cannot build. terraform cannot
# apply here (no provider downloads, no account), so a stand-in `terraform`
# answers `version` and records every call: a refusal must come after
# nothing but `terraform version`. The real terraform, when installed, is
# asked for its version too (the parse the script relies on).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/home" "$tmp/tf"
# a PATH with the tools the script needs and no terraform
for t in bash env sed sort head grep awk uname dirname cat tail nproc; do
  ln -s "$(command -v "$t")" "$tmp/bin/$t"
done
stub() { # VERSION: a terraform that logs its arguments
  cat >"$tmp/bin/terraform" <<STUB
#!/usr/bin/env bash
echo "\$*" >>"$tmp/calls"
[[ "\$1" == version ]] && { echo "Terraform v$1"; echo "on linux_amd64"; exit 0; }
exit 1
STUB
  chmod +x "$tmp/bin/terraform"
}
fails=0
expect() { # WANT_TEXT ARGS... (environment from the caller)
  local want="$1"; shift
  rm -f "$tmp/calls"
  set +e
  env -i PATH="$tmp/bin" HOME="$tmp/home" XROAD_DEPLOY_TF_DIR="$tmp/tf" "${ENVS[@]}" \
    "$root/tools/deploy" "$@" >"$tmp/out" 2>&1
  local rc=$?
  set -e
  local calls=""
  [[ -f "$tmp/calls" ]] && calls="$(tr '\n' ';' <"$tmp/calls")"
  if [[ $rc != 2 ]] || ! grep -q "^tools/deploy: $want" "$tmp/out" || [[ $(wc -l <"$tmp/out") != 1 ]] ||
     [[ -n "$calls" && "$calls" != "version;" ]]; then
    echo "FAIL tools/deploy $* (${ENVS[*]}): exit $rc, terraform calls '$calls', output:" >&2
    cat "$tmp/out" >&2
    fails=$((fails + 1))
  else
    echo "ok   refused: $(cat "$tmp/out")"
  fi
}
ENVS=()
expect "terraform not found on PATH" -var operator_cidr=203.0.113.7/32
stub 1.4.6
expect "terraform 1.4.6 is too old" -var operator_cidr=203.0.113.7/32
stub 1.9.8
expect "no AWS credentials" -var operator_cidr=203.0.113.7/32
expect "no AWS credentials" --destroy -var operator_cidr=203.0.113.7/32
ENVS=(AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=example)
expect "operator_cidr is not set"
expect "operator_cidr is not set" --destroy
host="$(uname -m)"; [[ "$host" == aarch64 ]] && host=arm64
other=$([[ "$host" == x86_64 ]] && echo arm64 || echo x86_64)
expect "architecture $other: this $host machine builds $host artifacts only" -var operator_cidr=203.0.113.7/32 -var architecture=$other
ENVS=(AWS_PROFILE=somebody)
expect "architecture $other" -var=operator_cidr=203.0.113.7/32 -var=architecture=$other
# credentials in ~/.aws count; operator_cidr in terraform.tfvars counts
ENVS=()
mkdir -p "$tmp/home/.aws" && printf '[default]\naws_access_key_id = AKIDEXAMPLE\n' >"$tmp/home/.aws/credentials"
printf 'operator_cidr = "203.0.113.7/32"\narchitecture  = "%s"\n' "$other" >"$tmp/tf/terraform.tfvars"
expect "architecture $other"
# the real terraform's version line parses as the script expects
if real="$(command -v terraform)"; then
  v="$("$real" version 2>/dev/null | sed -n '1s/^Terraform v\([0-9][0-9.]*\).*/\1/p')"
  [[ -n "$v" ]] && echo "ok   the installed terraform prints its version as expected ($v)" ||
    { echo "FAIL the installed terraform's version line does not parse" >&2; fails=$((fails + 1)); }
fi
((fails == 0)) && echo "deploy-refusals: all refused before building or sending anything"
exit $((fails > 0))

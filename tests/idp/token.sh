#!/usr/bin/env bash
# Prints an OAuth access token (a JWT) for a machine client of the test
# identity provider, using the client credentials grant with
# client_secret_basic authentication.
#
# Usage: token.sh CLIENT_ID SECRET [ISSUER]
#   SECRET  the client secret, or @FILE to read it from FILE
#   ISSUER  defaults to $AGENTGATE_IDP_ISSUER
# Environment:
#   AGENTGATE_TEST_CA  CA bundle for an https issuer signed by the test CA
#   TOKEN_RESOURCE     resource indicator (default urn:agentgate:mysql)
#   TOKEN_SCOPE        scope (default mysql:connect)
set -euo pipefail

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 CLIENT_ID SECRET|@FILE [ISSUER]" >&2
  exit 2
fi
client_id="$1"
secret="$2"
issuer="${3:-${AGENTGATE_IDP_ISSUER:-}}"
if [ -z "$issuer" ]; then
  echo "token.sh: no issuer given and AGENTGATE_IDP_ISSUER is not set" >&2
  exit 2
fi
if [ "${secret:0:1}" = "@" ]; then
  secret="$(cat -- "${secret:1}")"
fi
resource="${TOKEN_RESOURCE:-urn:agentgate:mysql}"
scope="${TOKEN_SCOPE:-mysql:connect}"

curl_args=(--silent --show-error --max-time 10)
if [ -n "${AGENTGATE_TEST_CA:-}" ]; then
  curl_args+=(--cacert "$AGENTGATE_TEST_CA")
fi

issuer="${issuer%/}"
token_endpoint="$(curl "${curl_args[@]}" --fail "$issuer/.well-known/openid-configuration" \
  | jq -r '.token_endpoint // empty')"
if [ -z "$token_endpoint" ]; then
  echo "token.sh: no token_endpoint in $issuer/.well-known/openid-configuration" >&2
  exit 1
fi

# The credentials go to curl on stdin, not on its command line.
body="$(printf 'user = "%s:%s"\n' "$client_id" "$secret" \
  | curl "${curl_args[@]}" --config - \
      --data-urlencode grant_type=client_credentials \
      --data-urlencode "resource=$resource" \
      --data-urlencode "scope=$scope" \
      --write-out '\n%{http_code}' \
      "$token_endpoint")"
status="${body##*$'\n'}"
body="${body%$'\n'*}"
if [ "$status" != "200" ]; then
  echo "token.sh: token endpoint answered HTTP $status: $body" >&2
  exit 1
fi
token="$(printf '%s' "$body" | jq -r '.access_token // empty')"
if [ -z "$token" ]; then
  echo "token.sh: no access_token in response: $body" >&2
  exit 1
fi
printf '%s\n' "$token"

# Sourced by bench/run.sh and bench/soak.sh: signing in with curl as a browser does.
#
# token_of < page: the page's CSRF token.
# sign_in EMAIL JAR BASE LOG...: signs EMAIL in at BASE with $PASSWORD, cookies in JAR, and
# prints the Cookie header; a role that asks for the emailed code gets it from the dev
# mailbox's lines in the server logs LOG... (whichever instance sent it).
token_of() { grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//'; }

sign_in() {
  local email="$1" jar="$2" base="$3" csrf next code=""
  shift 3
  csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login" | token_of)
  next=$(curl -fs -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" -X POST "$base/login" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$email" --data-urlencode "password=$PASSWORD")
  if [ "${next##*/login/}" = "mfa" ]; then
    for _ in $(seq 1 100); do
      code=$(cat "$@" | grep -o "mail to $email (Your Gatehouse sign-in code).*code: [0-9]\{6\}" | tail -n1 | grep -o '[0-9]\{6\}$' || true)
      [ -n "$code" ] && break
      sleep 0.1
    done
    [ -n "$code" ] || { echo "no sign-in code for $email in the server log" >&2; exit 1; }
    csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login/mfa" | token_of)
    curl -fs -o /dev/null -c "$jar" -b "$jar" -X POST "$base/login/mfa" \
      --data-urlencode "csrf_token=$csrf" --data-urlencode "code=$code"
  fi
  awk '!/^#/ && NF >= 7 { printf "%s=%s; ", $6, $7 } /^#HttpOnly_/ { printf "%s=%s; ", $6, $7 }' "$jar"
}

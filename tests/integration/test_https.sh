#!/bin/bash
# The API and the web console over TLS (http_tls = 1): with the
# certificate of tls_cert, which curl checks against it as a CA; plain
# HTTP at that port gets nothing; the API works as over HTTP (a
# conference made, a policy changed), and so does the console's page.
# Without tls_cert the setting is refused at start, saying why.
. "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/k.pem" \
	-out "$WORK/c.pem" 2>/dev/null || fail "openssl"
cat "$WORK/c.pem" "$WORK/k.pem" >"$WORK/caucus.pem"

# refused without a certificate
if "$BIN/caucusd" --db "$WORK/x.db" --http-tls 1 >"$WORK/refused.log" 2>&1
then
	fail "http_tls without tls_cert started"
fi
grep -q 'http_tls: needs tls_cert' "$WORK/refused.log" ||
	fail "no reason given: $(cat "$WORK/refused.log")"

export CURL_CA_BUNDLE="$WORK/c.pem"
API_SCHEME=https start_caucusd --http-tls 1 --tls-cert "$WORK/caucus.pem"
case $API in https://*) ;; *) fail "API is $API" ;; esac
api GET /v1/conferences/demo
expect_status 200 "GET over https"
api POST /v1/conferences '{"id":"tls"}'
expect_status 201 "POST over https"
api PATCH /v1/conferences/tls/policy '{"srtp":"required"}'
expect_status 200 "PATCH over https"
printf '%s' "$BODY" | grep -q '"srtp":"required"' || fail "policy: $BODY"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/")
[ "$code" = 200 ] || fail "the console over https: $code"
# the certificate is checked: another CA fails, plain HTTP gets no answer
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-keyout "$WORK/k2.pem" -out "$WORK/c2.pem" 2>/dev/null
if curl -s --cacert "$WORK/c2.pem" -o /dev/null "$API/v1/conferences"; then
	fail "a certificate signed by nobody we trust was taken"
fi
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$HTTP_PORT/v1/conferences" || true)
[ "$code" = 000 ] || fail "plain HTTP at the https port answered $code"
stop_caucusd
log PASS

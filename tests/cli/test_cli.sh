#!/usr/bin/env bash
# The gramota binary from the shell: --version, --help, keygen and
# credential verify, as an operator would use them.
set -uo pipefail
gramota=${GRAMOTA:?GRAMOTA names the binary}
mint=$GR_BUILD_DIR/tests/tool_mint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() { # check NAME COMMAND...: the command must succeed
    local name=$1; shift
    if "$@" >"$tmp/out" 2>"$tmp/err"; then
        pass=$((pass + 1)); echo "ok - $name"
    else
        fail=$((fail + 1)); echo "not ok - $name"; sed 's/^/    /' "$tmp/out" "$tmp/err"
    fi
}
refuse() { # refuse NAME STATUS PATTERN COMMAND...: exit STATUS and say PATTERN on stderr
    local name=$1 want=$2 pattern=$3; shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" = "$want" ] && grep -q -- "$pattern" "$tmp/err"; then
        pass=$((pass + 1)); echo "ok - $name"
    else
        fail=$((fail + 1)); echo "not ok - $name (exit $got, want $want /$pattern/)"; sed 's/^/    /' "$tmp/err"
    fi
}
expect() { # expect NAME FILE PATTERN: what the last command printed matches
    if grep -q -- "$3" "$2"; then
        pass=$((pass + 1)); echo "ok - $1"
    else
        fail=$((fail + 1)); echo "not ok - $1"; sed 's/^/    /' "$2"
    fi
}

check "--version names the version" bash -c "'$gramota' --version | grep -qx 'gramota [0-9.]*'"
check "--help lists the commands" bash -c "'$gramota' --help | grep -q keygen"
refuse "an unknown command is a usage error" 2 "unknown command" "$gramota" frobnicate
refuse "no command is a usage error" 2 "usage" "$gramota"
check "keygen --help" bash -c "'$gramota' keygen --help | grep -q -- --chain"
check "credential --help" bash -c "'$gramota' credential --help | grep -q -- --key"

# keygen: a private key only the owner can read, a chain that OpenSSL accepts.
check "keygen writes a key and a chain" "$gramota" keygen --out "$tmp/key.pem" --chain "$tmp/chain.pem" --subject "issuer.test"
expect "keygen prints the kid" "$tmp/err" "^kid: [A-Za-z0-9_-]\{43\}$"
check "the key file is mode 600" bash -c "[ \"\$(stat -c %a '$tmp/key.pem')\" = 600 ]"
check "the key is a P-256 PKCS#8 key" bash -c "openssl pkey -in '$tmp/key.pem' -noout -text | grep -q 'NIST CURVE: P-256'"
refuse "keygen does not overwrite" 1 "exists" "$gramota" keygen --out "$tmp/key.pem"
check "keygen --force overwrites" "$gramota" keygen --out "$tmp/key2.pem" --force
awk '/BEGIN/{n++} n==2' "$tmp/chain.pem" >"$tmp/ca.pem"
check "the chain verifies with openssl" openssl verify -CAfile "$tmp/ca.pem" "$tmp/chain.pem"
check "the leaf is for the key" bash -c "diff <(openssl x509 -in '$tmp/chain.pem' -noout -pubkey) <(openssl pkey -in '$tmp/key.pem' -pubout)"
check "keygen to stdout" bash -c "'$gramota' keygen 2>/dev/null | grep -q 'BEGIN PRIVATE KEY'"

# credential verify
check "mint a credential" "$mint" "$tmp/key.pem" "$tmp/cred.txt" "$tmp/chain.pem"
openssl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem" 2>/dev/null
check "verify with the PEM public key" "$gramota" credential verify --key "$tmp/pub.pem" "$tmp/cred.txt"
expect "the disclosed claims are printed" "$tmp/out" '"locality": "Berlin"'
expect "the summary names the disclosures" "$tmp/err" "valid: 4 disclosures, key binding absent"
check "verify from standard input" bash -c "'$gramota' credential verify --key '$tmp/key.pem' - <'$tmp/cred.txt'"
"$gramota" keygen --out "$tmp/other.pem" 2>/dev/null
refuse "another key fails the signature" 1 "BAD_SIGNATURE" "$gramota" credential verify --key "$tmp/other.pem" "$tmp/cred.txt"
sed 's/~[^~]*~$/~WyJ4IiwgInkiLCAieiJd~/' "$tmp/cred.txt" >"$tmp/orphan.txt"
refuse "an added disclosure is an orphan" 1 "ORPHAN" "$gramota" credential verify --key "$tmp/key.pem" "$tmp/orphan.txt"
refuse "key binding can be required" 1 "key binding" "$gramota" credential verify --key "$tmp/key.pem" --require-kb "$tmp/cred.txt"
refuse "an expired credential" 1 "EXPIRED" "$gramota" credential verify --key "$tmp/key.pem" --now 4102444800 "$tmp/cred.txt"
refuse "a number option refuses junk" 2 "whole number" "$gramota" credential verify --key "$tmp/key.pem" --now soon "$tmp/cred.txt"
refuse "keygen --days refuses 0" 2 "whole number" "$gramota" keygen --days 0 --chain "$tmp/c2.pem" --out "$tmp/k5.pem"
refuse "no key is a usage error" 2 "usage" "$gramota" credential verify "$tmp/cred.txt"
refuse "a missing file" 1 "cannot be opened" "$gramota" credential verify --key "$tmp/key.pem" "$tmp/nope.txt"
echo "not a credential" >"$tmp/junk.txt"
refuse "junk input" 1 "MALFORMED" "$gramota" credential verify --key "$tmp/key.pem" "$tmp/junk.txt"
# The same key as a JWK, and inside a JWK set beside a decoy, found by the credential's kid.
der() { openssl pkey -in "$tmp/key.pem" -pubout -outform DER 2>/dev/null; }
x=$(der | tail -c 64 | head -c 32 | basenc --base64url | tr -d '=\n')
y=$(der | tail -c 32 | basenc --base64url | tr -d '=\n')
credkid=$(cut -d. -f1 "$tmp/cred.txt" | basenc -d --base64url 2>/dev/null | sed 's/.*"kid":"\([^"]*\)".*/\1/')
decoy=$("$gramota" keygen --out "$tmp/decoy.pem" 2>&1 >/dev/null | sed -n 's/^jwk: //p')
printf '{"keys":[%s,{"kty":"EC","crv":"P-256","kid":"%s","x":"%s","y":"%s"}]}' \
    "$(echo "$decoy" | sed 's/}$/,"kid":"decoy"}/')" "$credkid" "$x" "$y" >"$tmp/jwks.json"
check "verify with a JWK set, picking the kid" "$gramota" credential verify --key "$tmp/jwks.json" "$tmp/cred.txt"
printf '{"kty":"EC","crv":"P-256","x":"%s","y":"%s"}' "$x" "$y" >"$tmp/pub.jwk"
check "verify with a JWK" "$gramota" credential verify --key "$tmp/pub.jwk" "$tmp/cred.txt"

# org create and offer create work on a data directory, server or not.
data=$tmp/data
check "org create makes an org" "$gramota" org create acme --data-dir "$data"
tail -n1 "$tmp/out" >"$tmp/last"
expect "its API key is alone on the last line" "$tmp/last" "^gk_[A-Za-z0-9_-]\{43\}$"
refuse "org create refuses a taken name" 1 "taken\|exists\|already" "$gramota" org create acme --data-dir "$data"
refuse "org create refuses a bad name" 1 "letters" "$gramota" org create "a b" --data-dir "$data"
pid='{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","place_of_birth":{"locality":"Berlin"},"nationalities":["DE"],"date_of_expiry":"2031-01-01","issuing_authority":"DE","issuing_country":"DE"}'
check "offer create prints an offer URL" "$gramota" offer create --org acme --vct urn:eudi:pid:1 --subject "$pid" --tx-code --data-dir "$data" --issuer-url https://issuer.example.com
expect "the offer URL is an openid-credential-offer URL" "$tmp/out" "^openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A%2F%2Fissuer.example.com%22"
expect "the transaction code is shown" "$tmp/out" "^transaction code (send it by another channel): [0-9]\{6\}$"
expect "a QR code is drawn in the terminal" "$tmp/out" "█▀\|▀█\|▄"
echo "$pid" >"$tmp/subject.json"
check "offer create reads the subject from a file, by reference" "$gramota" offer create --org acme --vct urn:eudi:pid:1 --subject "@$tmp/subject.json" --by-reference --no-qr --data-dir "$data" --issuer-url https://issuer.example.com
expect "a by-reference offer URL names the offer URI" "$tmp/out" "credential_offer_uri=https%3A%2F%2Fissuer.example.com%2Foid4vci%2Fcredential-offer%2F"
refuse "offer create refuses a subject without the mandatory claims" 1 "mandatory" "$gramota" offer create --org acme --vct urn:eudi:pid:1 --subject '{"given_name":"x"}' --data-dir "$data"
refuse "offer create refuses a subject with a reserved claim" 1 "iss" "$gramota" offer create --org acme --vct urn:eudi:pid:1 --subject "$(echo "$pid" | sed 's/^{/{"iss":"x",/')" --data-dir "$data"
refuse "offer create refuses an unknown organization" 1 "organization" "$gramota" offer create --org nobody --vct urn:eudi:pid:1 --subject "$pid" --data-dir "$data"
refuse "offer create without a subject is a usage error" 1 "subject" "$gramota" offer create --org acme --vct urn:eudi:pid:1 --data-dir "$data"
# The audit trail: what was done above is in it, and any change to it is found and named.
check "audit verify passes on an untouched trail" "$gramota" audit verify --data-dir "$data"
expect "it counts the events" "$tmp/out" "^audit trail intact: [3-9] events"
db=$data/gramota.db
tamper() { # tamper NAME SQL: a copy of the database changed by SQL fails audit verify, naming where
    rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp "$db" "$tmp/t/gramota.db" && cp "$data/issuer.pem" "$tmp/t/"
    sqlite3 "$tmp/t/gramota.db" "PRAGMA wal_checkpoint; DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; $2" >/dev/null 2>&1
    refuse "$1" 1 "broken at event" "$gramota" audit verify --data-dir "$tmp/t"
}
"$gramota" audit verify --data-dir "$data" >/dev/null 2>&1 # checkpoints the WAL into the file for the copies
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null 2>&1
tamper "an altered event is found" "UPDATE audit SET detail = 'x' WHERE seq = 2;"
tamper "a deleted event is found" "DELETE FROM audit WHERE seq = 2;"
tamper "reordered events are found" "UPDATE audit SET seq = 100 WHERE seq = 1; UPDATE audit SET seq = 1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 100;"
tamper "a re-hashed event still breaks the chain after it" "UPDATE audit SET kind = 'offer.created', at = at + 1 WHERE seq = 1;"
check "audit verify --help" bash -c "'$gramota' audit verify --help | grep -q hash"
check "serve --help names every setting with its variable" bash -c "'$gramota' serve --help | grep -q GRAMOTA_ISSUER_URL"

echo "# pass $pass"
echo "# fail $fail"
[ "$fail" = 0 ]

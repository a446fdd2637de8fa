#!/usr/bin/env bash
# Santral for macOS — run on a Mac (Xcode command line tools, Go, Node, the Wails CLI); not run
# by CI here: there is no credible way to sign or notarise from Linux. Produces
# dist/Santral-<version>-macos.dmg, signed with a Developer ID Application certificate,
# notarised by Apple and stapled.
#   DEVELOPER_ID="Developer ID Application: Firma A.Ş. (TEAMID)"
#   NOTARY_PROFILE=santral   # xcrun notarytool store-credentials santral --apple-id … --team-id …
#   build/darwin/release.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(build/version.sh)
plain=${version%%+*}   # CFBundleShortVersionString takes MAJOR.MINOR.PATCH only

# 1. The .app: universal (arm64 + amd64), version stamped as on every other platform.
tmp=$(mktemp)
jq --arg v "$plain" '.info.productVersion = $v' wails.json >"$tmp" && cp wails.json wails.json.orig && mv "$tmp" wails.json
trap 'mv wails.json.orig wails.json' EXIT
wails build -platform darwin/universal -tags sqlite_fts5 -ldflags "-X santral/backend/version.Version=$version" -clean
app=build/bin/Santral.app

# 2. Sign with the hardened runtime (required for notarisation), entitlements from build/darwin.
codesign --force --deep --timestamp --options runtime --entitlements build/darwin/entitlements.plist \
  --sign "$DEVELOPER_ID" "$app"
codesign --verify --strict --verbose=2 "$app"

# 3. The disk image: HFS+ so older macOS versions read it too (newer ones default to APFS).
mkdir -p dist
dmg="dist/Santral-$version-macos.dmg"
rm -f "$dmg"
hdiutil create -volname Santral -fs HFS+ -srcfolder "$app" -format UDZO "$dmg"
codesign --timestamp --sign "$DEVELOPER_ID" "$dmg"

# 4. Notarise and staple, so Gatekeeper opens it offline too.
xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
xcrun stapler staple "$dmg"
spctl --assess --type open --context context:primary-signature --verbose "$dmg"
echo "built $dmg"

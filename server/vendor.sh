#!/usr/bin/env bash
# Re-fetch the pinned front-end libraries from the npm registry and copy their built files
# into server/static/vendor/ (which is committed: the server never loads anything from a CDN).
# Usage: bash server/vendor.sh        (needs npm; run after changing a version below)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENDOR="$HERE/static/vendor"
YASGUI_VERSION="4.6.2"        # @zazuko/yasgui
CHARTJS_VERSION="4.4.7"       # chart.js
VISNETWORK_VERSION="9.1.9"    # vis-network
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch PACKAGE VERSION -> $work/NAME/package
    local name="$1" version="$2" dir="$work/$(basename "$1")"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$name@$version" >/dev/null && tar xzf ./*.tgz)
    echo "$dir/package"
}

y="$(fetch @zazuko/yasgui "$YASGUI_VERSION")"
mkdir -p "$VENDOR/yasgui"
cp "$y/build/yasgui.min.js" "$y/build/yasgui.min.css" "$VENDOR/yasgui/"
# The npm package ships no LICENSE file; its package.json says "license": "MIT",
# "author": "Triply <info@triply.cc>" (upstream: TriplyDB/Yasgui, forked by Zazuko).
node -e 'const p=require(process.argv[1]);if(p.license!=="MIT"){process.exit(1)}' "$y/package.json"
cat > "$VENDOR/yasgui/LICENSE" <<'LICENSE'
@zazuko/yasgui is distributed under the MIT License (package.json: "license": "MIT",
author Triply <info@triply.cc>; maintained by Zazuko GmbH).

MIT License

Copyright (c) Triply B.V. and Zazuko GmbH

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENSE
printf '@zazuko/yasgui %s (npm registry), files build/yasgui.min.{js,css}\n' "$YASGUI_VERSION" > "$VENDOR/yasgui/VERSION"

c="$(fetch chart.js "$CHARTJS_VERSION")"
mkdir -p "$VENDOR/chartjs"
cp "$c/dist/chart.umd.js" "$VENDOR/chartjs/"
cp "$c"/LICENSE* "$VENDOR/chartjs/LICENSE"
printf 'chart.js %s (npm registry), file dist/chart.umd.js\n' "$CHARTJS_VERSION" > "$VENDOR/chartjs/VERSION"

v="$(fetch vis-network "$VISNETWORK_VERSION")"
mkdir -p "$VENDOR/vis-network"
cp "$v/standalone/umd/vis-network.min.js" "$VENDOR/vis-network/"
cp "$v"/LICENSE* "$VENDOR/vis-network/" 2>/dev/null || true
printf 'vis-network %s (npm registry), file standalone/umd/vis-network.min.js\n' "$VISNETWORK_VERSION" > "$VENDOR/vis-network/VERSION"
echo "vendored into $VENDOR"

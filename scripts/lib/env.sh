# Sourced by orch's scripts: puts the Swift toolchain on PATH when it is
# installed in its usual place but not on PATH (a fresh login, CI).
if ! command -v swift >/dev/null 2>&1; then
  for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
    if [[ -x "$candidate/swift" ]]; then export PATH="$candidate:$PATH"; break; fi
  done
fi

# Sourced by ./selftaught, ./test and .ci/run: finds a JDK 25+ and exports JAVA_HOME for it.
# Order: JAVA_HOME if it is 25 or newer, else the newest JDK >= 25 under /usr/lib/jvm.
selftaught_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1
}
selftaught_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    local v; v=$(selftaught_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  local best="" bestv=0 d v
  for d in /usr/lib/jvm/*; do
    [ -x "$d/bin/javac" ] || continue
    v=$(selftaught_java_major "$d")
    if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  [ -n "$best" ] || return 1
  echo "$best"
}
if ! JAVA_HOME=$(selftaught_find_jdk); then
  echo "selftaught: no JDK 25 or newer found (checked JAVA_HOME and /usr/lib/jvm/*). Install Temurin 25 or set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
SELFTAUGHT_JVM_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC"

import { shellCommand } from '../../platform/ssh/core/shell-quote.js';

/**
 * The one probe: a POSIX sh script sent on stdin over a single exec channel,
 * so a host is inventoried in one round trip. It only reads files and asks
 * tools for their versions; it writes nothing on the host.
 *
 * Output: sections framed by lines starting with a per-probe random boundary
 * (`<B> sec <name>` … `<B> rc <status>`), between `<B> begin 1` and `<B> end`,
 * so a host's bytes can never be mistaken for framing and truncation shows.
 *
 * OUTPOST_PROBE_ROOT prefixes the fixed system paths it reads (/proc, /etc).
 * Production never sets it, so the real paths are read; only the simulated
 * site (test/fixtures/simulated-site) sets it in each fake host's login
 * environment, so the same script runs unchanged on real and simulated hosts.
 */
export const PROBE_SCRIPT = String.raw`
probe() {
B=$1; shift
R=${'$'}{OUTPOST_PROBE_ROOT-}
LC_ALL=C; export LC_ALL
PATH=$PATH:/usr/local/bin:/usr/sbin:/sbin:$HOME/llama.cpp/build/bin:/opt/llama.cpp/build/bin
O=$IFS
T=; command -v timeout >/dev/null 2>&1 && T='timeout 8'
sec() { printf '\n%s sec %s\n' "$B" "$1"; }
rc() { printf '\n%s rc %s\n' "$B" "$1"; }
file() { sec "$1"; if [ -r "$R$2" ]; then cat "$R$2" 2>&1; rc $?; else rc absent; fi; }
files() {
  if command -v awk >/dev/null 2>&1; then
    awk -v B="$B" 'BEGIN { for (i = 1; i < ARGC; i += 2) { printf "\n%s sec %s\n", B, ARGV[i]; r = 0
      while ((r = (getline l < ARGV[i + 1])) > 0) print l
      printf "\n%s rc %s\n", B, (r < 0 ? "absent" : 0); close(ARGV[i + 1]) } }' "$@"
  else
    while [ $# -gt 1 ]; do file "$1" "${'$'}{2#"$R"}"; shift 2; done
  fi
}
tool() { n=$1; shift; sec "$n"; if command -v "$1" >/dev/null 2>&1; then "$@" 2>&1; rc $?; else rc absent; fi; }
slow() { n=$1; shift; sec "$n"; if command -v "$1" >/dev/null 2>&1; then $T "$@" 2>&1; rc $?; else rc absent; fi; }
found() { p=; IFS=:; for d in $PATH; do [ -f "$d/$1" ] && [ -x "$d/$1" ] && { p=$d/$1; break; }; done; IFS=$O; [ -n "$p" ]; }
printf '%s begin 1\n' "$B"
c=; command -v lscpu >/dev/null 2>&1 || c="cpuinfo $R/proc/cpuinfo"
files hostname "$R/proc/sys/kernel/hostname" os-release "$R/etc/os-release" meminfo "$R/proc/meminfo" nv-tegra-release "$R/etc/nv_tegra_release" net-tcp "$R/proc/net/tcp" net-tcp6 "$R/proc/net/tcp6" $c
tool uname uname -s -r -m
tool lscpu lscpu
slow df df -P -k
slow nvidia-smi nvidia-smi --query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,pci.bus_id,driver_version --format=csv,noheader,nounits
slow nvidia-smi-L nvidia-smi -L
file device-tree-model /proc/device-tree/model
for e in llama-server rpc-server vllm; do
  sec "engine:$e"
  found "$e" || { rc absent; continue; }
  printf '%s\n' "$p"
  case $e in
    llama-server) $T "$p" --version 2>&1 ;;
    vllm)
      v=
      for m in "${'$'}{p%/bin/*}"/lib/python3*/site-packages/vllm-*.dist-info "${'$'}{p%/bin/*}"/lib/python3*/dist-packages/vllm-*.dist-info; do
        [ -r "$m/METADATA" ] || continue
        while IFS= read -r l; do case $l in Version:*) v=${'$'}{l#Version: }; break ;; esac; done <"$m/METADATA"
        [ -n "$v" ] && break
      done
      if [ -n "$v" ]; then printf '%s\n' "$v"; else $T "$p" --version 2>&1; fi ;;
  esac
  rc $?
done
sec models
for d in "$@"; do
  case $d in "~/"*) d=$HOME/${'$'}{d#"~/"} ;; "~") d=$HOME ;; esac
  [ -d "$R$d" ] || continue
  find "$R$d" -maxdepth 4 -type f \( -name '*.gguf' -o -name '*.safetensors' \) -exec sh -c '
    r=$1; shift
    S=$(stat -c %s "$@" 2>/dev/null) || S=
    for f; do
      case $S in
        *"
"*) s=${'$'}{S%%"
"*}; S=${'$'}{S#*"
"} ;;
        ?*) s=$S; S= ;;
        *) s=$(wc -c <"$f") ;;
      esac
      h=$(head -c 1048576 "$f" 2>/dev/null | sha256sum 2>/dev/null)
      printf "%s\t%s\t%s\0" "$s" "${'$'}{h%% *}" "${'$'}{f#"$r"}"
    done' sh "$R" {} + 2>/dev/null
done
rc 0
printf '\n%s end\n' "$B"
}
probe "$@" </dev/null
`;

/** How the script is started: a fixed program line whose only variable parts are quoted. */
export function probeCommand(boundary: string, modelDirs: readonly string[]): string {
  // exec: the login shell hands over to sh instead of waiting beside it (one process less per host).
  return `exec ${shellCommand('sh', ['-s', '--', boundary, ...modelDirs])}`;
}

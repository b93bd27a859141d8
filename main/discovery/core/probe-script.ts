import { shellCommand } from './shell-quote.js';

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
T=; command -v timeout >/dev/null 2>&1 && T='timeout 20'
sec() { printf '\n%s sec %s\n' "$B" "$1"; }
rc() { printf '\n%s rc %s\n' "$B" "$1"; }
file() { sec "$1"; if [ -r "$R$2" ]; then cat "$R$2" 2>&1; rc $?; else rc absent; fi; }
tool() { n=$1; shift; sec "$n"; if command -v "$1" >/dev/null 2>&1; then $T "$@" 2>&1; rc $?; else rc absent; fi; }
printf '%s begin 1\n' "$B"
file hostname /proc/sys/kernel/hostname
file os-release /etc/os-release
tool uname uname -s -r -m
tool lscpu lscpu
command -v lscpu >/dev/null 2>&1 || file cpuinfo /proc/cpuinfo
file meminfo /proc/meminfo
tool df df -P -k
tool nvidia-smi nvidia-smi --query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,pci.bus_id,driver_version --format=csv,noheader,nounits
tool nvidia-smi-L nvidia-smi -L
file nv-tegra-release /etc/nv_tegra_release
file device-tree-model /proc/device-tree/model
for e in llama-server rpc-server vllm; do
  sec "engine:$e"
  p=$(command -v "$e" 2>/dev/null) || { rc absent; continue; }
  printf '%s\n' "$p"
  case $e in
    llama-server) $T "$p" --version 2>&1 ;;
    vllm)
      py=$(sed -n '1s/^#![[:space:]]*//p' "$p" 2>/dev/null)
      case $py in
        *python*) $T $py -c 'import importlib.metadata as m; print(m.version("vllm"))' 2>/dev/null || $T "$p" --version 2>&1 ;;
        *) $T "$p" --version 2>&1 ;;
      esac ;;
  esac
  rc $?
done
sec models
for d in "$@"; do
  case $d in "~/"*) d=$HOME/${'$'}{d#"~/"} ;; "~") d=$HOME ;; esac
  [ -d "$R$d" ] || continue
  find "$R$d" -maxdepth 4 -type f \( -name '*.gguf' -o -name '*.safetensors' \) -exec sh -c '
    r=$1; shift
    for f; do
      s=$(stat -c %s "$f" 2>/dev/null || wc -c <"$f")
      h=$(head -c 1048576 "$f" 2>/dev/null | sha256sum 2>/dev/null | cut -c1-64)
      printf "%s\t%s\t%s\0" "$s" "$h" "${'$'}{f#"$r"}"
    done' sh "$R" {} + 2>/dev/null
done
rc 0
file net-tcp /proc/net/tcp
file net-tcp6 /proc/net/tcp6
printf '\n%s end\n' "$B"
}
probe "$@" </dev/null
`;

/** How the script is started: a fixed program line whose only variable parts are quoted. */
export function probeCommand(boundary: string, modelDirs: readonly string[]): string {
  return `${shellCommand('sh', ['-s', '--', boundary, ...modelDirs])}`;
}

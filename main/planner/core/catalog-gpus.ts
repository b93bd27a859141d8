import { OutpostError } from '../../../shared/errors.js';
import { findByName } from './names.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export type IntraLink = 'pcie3' | 'pcie4' | 'pcie5' | 'nvlink' | 'unified';

/** One accelerator (or a CPU socket set) as the planner sees it. */
export interface GpuSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Total device memory; for unified-memory devices the whole shared RAM. */
  readonly memoryBytes: number;
  /** Dense FP16 tensor throughput, TFLOPS (no sparsity). */
  readonly fp16Tflops: number;
  readonly bandwidthGBs: number;
  /** Jetson and CPU: weights, KV cache and the OS share one pool of RAM. */
  readonly unifiedMemory: boolean;
  /** CUDA context, cuBLAS workspaces, engine process: taken before any layer loads. */
  readonly runtimeOverheadBytes: number;
  /** How GPUs of this kind are usually joined inside one server. */
  readonly defaultIntraLink: IntraLink;
  readonly source: string;
}

// Discrete GPUs: memory is what nvidia-smi reports as total (MiB), not the marketing GB figure,
// because that is what the allocator can hand out. Overhead: ~0.5 GiB CUDA context + cuBLAS
// workspace as llama.cpp/vLLM logs show on start-up.
const DISCRETE_OVERHEAD = 0.5 * GiB;
// Jetson: JetPack's CUDA context lives in the shared RAM and is smaller, but the OS and
// the nvargus/desktop services keep ~1 GiB; the unified share below covers the OS itself.
const JETSON_OVERHEAD = 0.4 * GiB;

export const GPU_CATALOG: readonly GpuSpec[] = [
  {
    name: 'H100-80GB',
    aliases: ['H100', 'H100-SXM'],
    memoryBytes: 81559 * MiB,
    fp16Tflops: 989,
    bandwidthGBs: 3350,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'nvlink',
    source: 'NVIDIA H100 datasheet (SXM5): 989 TFLOPS dense FP16, 3.35 TB/s HBM3',
  },
  {
    name: 'H200',
    aliases: ['H200-141GB'],
    memoryBytes: 143771 * MiB,
    fp16Tflops: 989,
    bandwidthGBs: 4800,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'nvlink',
    source: 'NVIDIA H200 datasheet (SXM): 141 GB HBM3e, 4.8 TB/s, 989 TFLOPS dense FP16',
  },
  {
    name: 'A100-80GB',
    aliases: ['A100-SXM4-80GB'],
    memoryBytes: 81920 * MiB,
    fp16Tflops: 312,
    bandwidthGBs: 2039,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'nvlink',
    source: 'NVIDIA A100 datasheet (80GB SXM): 312 TFLOPS dense FP16, 2,039 GB/s',
  },
  {
    name: 'A100-40GB',
    memoryBytes: 40960 * MiB,
    fp16Tflops: 312,
    bandwidthGBs: 1555,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'nvlink',
    source: 'NVIDIA A100 datasheet (40GB): 312 TFLOPS dense FP16, 1,555 GB/s',
  },
  {
    name: 'L40S',
    memoryBytes: 46068 * MiB,
    fp16Tflops: 362,
    bandwidthGBs: 864,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'pcie4',
    source: 'NVIDIA L40S datasheet: 48 GB GDDR6, 864 GB/s, 362 TFLOPS dense FP16 tensor',
  },
  {
    name: 'L4',
    memoryBytes: 23034 * MiB,
    fp16Tflops: 121,
    bandwidthGBs: 300,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'pcie4',
    source: 'NVIDIA L4 datasheet: 24 GB, 300 GB/s, 242 TFLOPS FP16 with sparsity (121 dense)',
  },
  {
    name: 'A10G',
    aliases: ['A10'],
    memoryBytes: 23028 * MiB,
    fp16Tflops: 125,
    bandwidthGBs: 600,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'pcie4',
    source: 'NVIDIA A10 datasheet (A10G is its AWS variant): 24 GB, 600 GB/s, 125 TFLOPS dense FP16',
  },
  {
    name: 'T4',
    memoryBytes: 15360 * MiB,
    fp16Tflops: 65,
    bandwidthGBs: 320,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'pcie3',
    source: 'NVIDIA T4 datasheet: 16 GB GDDR6, 320 GB/s, 65 TFLOPS mixed precision',
  },
  {
    name: 'V100-32GB',
    aliases: ['V100'],
    memoryBytes: 32768 * MiB,
    fp16Tflops: 125,
    bandwidthGBs: 900,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'nvlink',
    source: 'NVIDIA V100 datasheet (SXM2 32GB): 125 TFLOPS tensor, 900 GB/s',
  },
  {
    name: 'RTX-4090',
    aliases: ['RTX 4090', '4090'],
    memoryBytes: 24564 * MiB,
    fp16Tflops: 165,
    bandwidthGBs: 1008,
    unifiedMemory: false,
    runtimeOverheadBytes: DISCRETE_OVERHEAD,
    defaultIntraLink: 'pcie4',
    source: 'NVIDIA Ada whitepaper: RTX 4090 165 TFLOPS FP16 tensor (FP32 accumulate), 1,008 GB/s',
  },
  // Jetson FP16 dense figures are derived from NVIDIA's "sparse INT8 TOPS" for the GPU alone,
  // divided by 4 (sparsity x2, INT8->FP16 x2); memory is the RAM the kernel reports.
  {
    name: 'Jetson-AGX-Orin-64GB',
    aliases: ['AGX Orin 64GB'],
    memoryBytes: 61.4 * GiB,
    fp16Tflops: 42.5,
    bandwidthGBs: 204.8,
    unifiedMemory: true,
    runtimeOverheadBytes: JETSON_OVERHEAD,
    defaultIntraLink: 'unified',
    source: 'Jetson AGX Orin series brief: 64 GB LPDDR5 204.8 GB/s, GPU 170 sparse INT8 TOPS',
  },
  {
    name: 'Jetson-AGX-Orin-32GB',
    aliases: ['AGX Orin 32GB', 'Jetson_Orin'],
    memoryBytes: 30.6 * GiB,
    fp16Tflops: 27,
    bandwidthGBs: 204.8,
    unifiedMemory: true,
    runtimeOverheadBytes: JETSON_OVERHEAD,
    defaultIntraLink: 'unified',
    source: 'Jetson AGX Orin series brief: 32 GB LPDDR5 204.8 GB/s, GPU 108 sparse INT8 TOPS',
  },
  {
    name: 'Jetson-Orin-NX-16GB',
    aliases: ['Orin NX 16GB', 'Orin NX'],
    memoryBytes: 15.3 * GiB,
    fp16Tflops: 15,
    bandwidthGBs: 102.4,
    unifiedMemory: true,
    runtimeOverheadBytes: JETSON_OVERHEAD,
    defaultIntraLink: 'unified',
    source: 'Jetson Orin NX series brief: 16 GB LPDDR5 102.4 GB/s, GPU 60 sparse INT8 TOPS',
  },
  {
    name: 'Jetson-Orin-NX-8GB',
    aliases: ['Orin NX 8GB'],
    memoryBytes: 7.4 * GiB,
    fp16Tflops: 12.5,
    bandwidthGBs: 102.4,
    unifiedMemory: true,
    runtimeOverheadBytes: JETSON_OVERHEAD,
    defaultIntraLink: 'unified',
    source: "Jetson Orin NX series brief: 8 GB LPDDR5 102.4 GB/s, GPU 50 sparse INT8 TOPS (765 MHz against the 16 GB module's 918 MHz)",
  },
  {
    name: 'Jetson-Orin-Nano-8GB',
    aliases: ['Orin Nano 8GB', 'Orin Nano'],
    memoryBytes: 7.4 * GiB,
    fp16Tflops: 5,
    bandwidthGBs: 68,
    unifiedMemory: true,
    runtimeOverheadBytes: JETSON_OVERHEAD,
    defaultIntraLink: 'unified',
    source: 'Jetson Orin Nano series brief: 8 GB LPDDR5 68 GB/s, GPU 20 sparse INT8 TOPS',
  },
  {
    name: 'Jetson-Orin-Nano-4GB',
    aliases: ['Orin Nano 4GB'],
    memoryBytes: 3.4 * GiB,
    fp16Tflops: 2.5,
    bandwidthGBs: 34,
    unifiedMemory: true,
    runtimeOverheadBytes: JETSON_OVERHEAD,
    defaultIntraLink: 'unified',
    source: "Jetson Orin Nano series brief: 4 GB 64-bit LPDDR5 34 GB/s, half the 8 GB module's GPU (512 of 1,024 CUDA cores)",
  },
];

/** Compute slices of a whole GPU under MIG (A100, H100, H200: seven). */
const MIG_COMPUTE_SLICES = 7;

/**
 * A MIG instance as the device it is: `<g>g.<n>gb` (optionally `+me` and the like) has g of the
 * GPU's seven compute slices and n GB of its memory, with the memory's share of the bandwidth
 * (MIG gives each instance its own memory slices and their channels). Memory is taken as n·10⁹
 * bytes, below what the instance really has (1g.10gb on an H100 is 9,984 MiB), so a plan that
 * fits the estimate fits the slice. Null when the profile does not read as one.
 */
export function migSlice(gpu: GpuSpec, profile: string): GpuSpec | null {
  const match = /^(\d+)g\.(\d+(?:\.\d+)?)gb(?:[+-]\w+)*$/i.exec(profile.trim());
  if (!match || gpu.unifiedMemory) return null;
  const computeSlices = Number(match[1]);
  const memoryBytes = Math.min(Number(match[2]) * 1e9, gpu.memoryBytes);
  if (!(computeSlices >= 1 && computeSlices <= MIG_COMPUTE_SLICES && memoryBytes > 0)) return null;
  return {
    name: `${gpu.name} MIG ${profile.trim()}`,
    memoryBytes,
    fp16Tflops: (gpu.fp16Tflops * computeSlices) / MIG_COMPUTE_SLICES,
    bandwidthGBs: (gpu.bandwidthGBs * memoryBytes) / gpu.memoryBytes,
    unifiedMemory: false,
    runtimeOverheadBytes: gpu.runtimeOverheadBytes,
    // Instances cannot reach each other's memory: activations between them go through the host.
    defaultIntraLink: 'pcie4',
    source: `${gpu.source}; MIG ${profile.trim()}: ${computeSlices}/${MIG_COMPUTE_SLICES} of the compute, ${Number(match[2])} GB of the memory and its share of the bandwidth`,
  };
}

/** Of a unified pool, the share an inference process can take: the OS, page cache and services keep the rest. */
export const UNIFIED_MEMORY_SHARE = 0.8;

/** Inventory figures for a CPU-only device; discovery measures or estimates them. */
export interface CpuFigures {
  readonly ramBytes: number;
  readonly bandwidthGBs?: number | undefined;
  readonly tflops?: number | undefined;
}

// A dual-channel DDR4-3200 desktop reaches ~40 GB/s of its 51 GB/s peak (STREAM triad), and
// AVX2 FP32 on 8 cores at ~3 GHz is ~0.8 TFLOPS; used only when inventory has no figure.
const CPU_DEFAULT_BANDWIDTH_GBS = 40;
const CPU_DEFAULT_TFLOPS = 0.8;

/** The "CPU" device: built from the node's inventory, never from a fixed catalog row. */
export function cpuDevice(figures: CpuFigures): GpuSpec {
  if (!(figures.ramBytes > 0)) {
    throw new OutpostError('INVALID_INPUT', 'A CPU device needs its RAM size.', 'Pass memoryGB for the CPU device (from the node inventory).');
  }
  return {
    name: 'CPU',
    memoryBytes: figures.ramBytes,
    fp16Tflops: figures.tflops ?? CPU_DEFAULT_TFLOPS,
    bandwidthGBs: figures.bandwidthGBs ?? CPU_DEFAULT_BANDWIDTH_GBS,
    unifiedMemory: true,
    runtimeOverheadBytes: 0.3 * GiB,
    defaultIntraLink: 'unified',
    source: 'node inventory (RAM, measured or estimated memory bandwidth and FLOPs)',
  };
}

/**
 * A catalog GPU by name, or a MIG instance of one as `<GPU>/<profile>` (`H100-80GB/3g.40gb`,
 * what `outpost plan --nodes` writes for a MIG-enabled GPU).
 */
export function findGpu(name: string): GpuSpec {
  const slash = name.lastIndexOf('/');
  if (slash > 0) {
    const whole = findGpu(name.slice(0, slash));
    const slice = migSlice(whole, name.slice(slash + 1));
    if (slice === null) {
      throw new OutpostError('INVALID_INPUT', `"${name.slice(slash + 1)}" is not a MIG profile of ${whole.name}.`, 'Write the profile as nvidia-smi -L prints it, e.g. H100-80GB/3g.40gb or A100-40GB/1g.5gb.');
    }
    return slice;
  }
  return findByName([...GPU_CATALOG, { ...cpuDevice({ ramBytes: 1 }), name: 'CPU' }], name, 'GPU');
}

/** Memory a plan may fill on this device: the utilisation share of what the device can give a process. */
export function usableBytes(gpu: GpuSpec, utilisation: number): number {
  const pool = gpu.unifiedMemory ? gpu.memoryBytes * UNIFIED_MEMORY_SHARE : gpu.memoryBytes;
  return Math.floor(pool * utilisation);
}

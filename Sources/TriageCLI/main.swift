import Corpus
import Neural

// OpenBLAS picks its kernels when it loads: choose them before anything else runs.
KernelSelection.ensureFastKernels()
// A writer waiting for another process says so on stderr.
Corpus.waitNotice = { Console.shared.note($0) }
Triage.main()

import Neural

// OpenBLAS picks its kernels when it loads: choose them before anything else runs.
KernelSelection.ensureFastKernels()
Triage.main()

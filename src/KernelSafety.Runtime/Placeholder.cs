namespace KernelSafety.Runtime;

namespace KernelSafety.CodeFixes;

/// <summary>Lets tests and tools find this assembly without naming a particular fixer.</summary>
public static class FixerAssemblyMarker
{
}

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace KernelSafety.Analyzers.Tests.Verifiers;

/// <summary>The reference assemblies and compilation settings every analyzer test compiles against.</summary>
internal static class TestReferences
{
    /// <summary>.NET 8 reference assemblies: the oldest runtime with LibraryImport, NativeMemory and Math.Clamp.</summary>
    public static ReferenceAssemblies Default { get; } = ReferenceAssemblies.Net.Net80;

    /// <summary>Unsafe code is allowed: interop tests use pointers, fixed buffers and stackalloc.</summary>
    public static Solution AllowUnsafe(Solution solution, ProjectId projectId)
    {
        var project = solution.GetProject(projectId)!;
        var options = (CSharpCompilationOptions)project.CompilationOptions!;
        return solution.WithProjectCompilationOptions(projectId, options.WithAllowUnsafe(true));
    }
}

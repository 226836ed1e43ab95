using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// One side of a copy: the buffer, where the copy starts in it, and (for a span/memory view such as
/// <c>buff.AsSpan(off, n)</c>) how many elements the view holds.
/// </summary>
internal readonly struct CopyOperand
{
    public CopyOperand(IOperation? buffer, IOperation? offset, IOperation? viewLength, bool offsetCountsElements = false)
    {
        Buffer = buffer;
        Offset = offset;
        ViewLength = viewLength;
        OffsetCountsElements = offsetCountsElements;
    }

    /// <summary>True when <see cref="Offset"/> is an element index even though the API counts bytes (<c>ref a[i]</c>).</summary>
    public bool OffsetCountsElements { get; }

    /// <summary>The array, span, memory or pointer expression (views unwrapped).</summary>
    public IOperation? Buffer { get; }

    /// <summary>The start of the copy in <see cref="Buffer"/> (in the API's count unit unless <see cref="OffsetCountsElements"/>); null means 0.</summary>
    public IOperation? Offset { get; }

    /// <summary>The length of the view over <see cref="Buffer"/> when one was taken (<c>AsSpan(a, n)</c>, <c>Slice(a, n)</c>).</summary>
    public IOperation? ViewLength { get; }

    /// <summary>True when the offset is absent or the constant 0.</summary>
    public bool StartsAtZero => Offset is null || (LinearForm.TryGetInteger(Offset, out var value) && value == 0);

    public static CopyOperand Whole(IOperation? buffer) => new(buffer, null, null);
}

/// <summary>A recognised copy: what is copied from where to where, and how many elements.</summary>
internal sealed class CopySite
{
    public CopySite(string api, IInvocationOperation invocation, IArgumentOperation? countArgument, IOperation? count,
        CopyOperand source, CopyOperand destination, bool countsBytes, IArgumentOperation? destinationSizeArgument)
    {
        Api = api;
        Invocation = invocation;
        CountArgument = countArgument;
        Count = count;
        Source = source;
        Destination = destination;
        CountsBytes = countsBytes;
        DestinationSizeArgument = destinationSizeArgument;
    }

    /// <summary>How the API is named in messages: <c>Buffer.BlockCopy</c>, <c>Span.CopyTo</c>, <c>memcpy</c>.</summary>
    public string Api { get; }

    public IInvocationOperation Invocation { get; }

    /// <summary>The argument that carries the count (for <c>x.AsSpan(a, n).CopyTo(..)</c> the <c>n</c> argument of <c>AsSpan</c>).</summary>
    public IArgumentOperation? CountArgument { get; }

    /// <summary>The number of elements copied; null when it is the whole source (<c>src.CopyTo(dst)</c>).</summary>
    public IOperation? Count { get; }

    public CopyOperand Source { get; }

    public CopyOperand Destination { get; }

    /// <summary>True when the count and offsets are bytes (<c>Buffer.BlockCopy</c>, <c>MemoryCopy</c>, <c>memcpy</c>...), false for elements.</summary>
    public bool CountsBytes { get; }

    /// <summary><c>Buffer.MemoryCopy</c>'s <c>destinationSizeInBytes</c>.</summary>
    public IArgumentOperation? DestinationSizeArgument { get; }
}

/// <summary>
/// Recognises copy calls by their symbols: <c>Buffer.BlockCopy</c>, <c>Array.Copy</c> (all overloads),
/// <c>Array.ConstrainedCopy</c>, <c>Marshal.Copy</c> (all overloads), <c>Buffer.MemoryCopy</c>,
/// <c>Unsafe.CopyBlock</c>/<c>CopyBlockUnaligned</c>, <c>NativeMemory.Copy</c>, <c>CopyTo</c> on spans, memories and
/// arrays (including <c>x.Slice(a, n).CopyTo(..)</c>, <c>x.AsSpan(a, n).CopyTo(..)</c>), and P/Invoke'd
/// <c>memcpy</c>/<c>memmove</c>. A user method with one of those names is not a copy.
/// </summary>
internal static class CopyApi
{
    /// <summary>Cheap pre-check on the method name (no symbol lookups).</summary>
    public static bool MayBeCopy(IMethodSymbol method)
        => method.Name is "BlockCopy" or "Copy" or "ConstrainedCopy" or "MemoryCopy" or "CopyBlock" or "CopyBlockUnaligned" or "CopyTo"
           || (NativeMethods.MayBePInvoke(method) && method.Parameters.Length == 3);

    public static CopySite? TryGet(IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (type is null)
        {
            return null;
        }

        switch (method.Name)
        {
            case "BlockCopy" when KnownSymbols.Is(type, symbols.Buffer):
                return Site("Buffer.BlockCopy", invocation, "count", "src", "srcOffset", "dst", "dstOffset", countsBytes: true);

            case "Copy" or "ConstrainedCopy" when KnownSymbols.Is(type, symbols.Array):
                return Site(method.Name == "Copy" ? "Array.Copy" : "Array.ConstrainedCopy", invocation, "length", "sourceArray", "sourceIndex", "destinationArray", "destinationIndex", countsBytes: false);

            case "Copy" when KnownSymbols.Is(type, symbols.Marshal):
                // Copy(T[] source, int startIndex, IntPtr destination, int length) or Copy(IntPtr source, T[] destination, int startIndex, int length).
                var source = Argument(invocation, "source");
                var destination = Argument(invocation, "destination");
                var startIndex = Argument(invocation, "startIndex");
                var length = Argument(invocation, "length");
                if (source is null || destination is null || length is null)
                {
                    return null;
                }

                var sourceIsArray = source.Value.Type is IArrayTypeSymbol || LinearForm.Strip(source.Value)?.Type is IArrayTypeSymbol;
                return new CopySite(
                    "Marshal.Copy",
                    invocation,
                    length,
                    length.Value,
                    new CopyOperand(source.Value, sourceIsArray ? startIndex?.Value : null, null),
                    new CopyOperand(destination.Value, sourceIsArray ? null : startIndex?.Value, null),
                    countsBytes: false,
                    destinationSizeArgument: null);

            case "MemoryCopy" when KnownSymbols.Is(type, symbols.Buffer):
                var bytesToCopy = Argument(invocation, "sourceBytesToCopy");
                return new CopySite(
                    "Buffer.MemoryCopy",
                    invocation,
                    bytesToCopy,
                    bytesToCopy?.Value,
                    Pointer(Argument(invocation, "source")),
                    Pointer(Argument(invocation, "destination")),
                    countsBytes: true,
                    destinationSizeArgument: Argument(invocation, "destinationSizeInBytes"));

            case "CopyBlock" or "CopyBlockUnaligned" when KnownSymbols.Is(type, symbols.Unsafe):
                var byteCount = Argument(invocation, "byteCount");
                return new CopySite(
                    method.Name == "CopyBlock" ? "Unsafe.CopyBlock" : "Unsafe.CopyBlockUnaligned",
                    invocation,
                    byteCount,
                    byteCount?.Value,
                    Pointer(Argument(invocation, "source")),
                    Pointer(Argument(invocation, "destination")),
                    countsBytes: true,
                    destinationSizeArgument: null);

            case "Copy" when KnownSymbols.Is(type, symbols.NativeMemory):
                var nativeCount = Argument(invocation, "byteCount");
                return new CopySite(
                    "NativeMemory.Copy",
                    invocation,
                    nativeCount,
                    nativeCount?.Value,
                    Pointer(Argument(invocation, "source")),
                    Pointer(Argument(invocation, "destination")),
                    countsBytes: true,
                    destinationSizeArgument: null);

            case "CopyTo":
                return TryGetCopyTo(invocation, symbols);
        }

        if (invocation.Arguments.Length == 3 && method.IsStatic)
        {
            var entryPoint = NativeMethods.GetEntryPoint(method, symbols);
            if (entryPoint is NativeMethods.Memcpy or NativeMethods.Memmove)
            {
                // memcpy(void* dest, const void* src, size_t n)
                IArgumentOperation? dest = null, src = null, n = null;
                foreach (var argument in invocation.Arguments)
                {
                    switch (argument.Parameter?.Ordinal)
                    {
                        case 0: dest = argument; break;
                        case 1: src = argument; break;
                        case 2: n = argument; break;
                    }
                }

                return n is null ? null : new CopySite(entryPoint, invocation, n, n.Value, Pointer(src), Pointer(dest), countsBytes: true, destinationSizeArgument: null);
            }
        }

        return null;
    }

    private static CopySite? TryGetCopyTo(IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        IOperation? sourceExpression;
        IOperation? destinationExpression;
        IOperation? destinationIndex = null;
        string api;
        if (KnownSymbols.Is(type, symbols.Span) || KnownSymbols.Is(type, symbols.ReadOnlySpan)
            || KnownSymbols.Is(type, symbols.Memory) || KnownSymbols.Is(type, symbols.ReadOnlyMemory))
        {
            if (invocation.Arguments.Length != 1)
            {
                return null;
            }

            api = type.Name switch
            {
                "Span" => "Span.CopyTo",
                "ReadOnlySpan" => "ReadOnlySpan.CopyTo",
                "Memory" => "Memory.CopyTo",
                _ => "ReadOnlyMemory.CopyTo",
            };
            sourceExpression = invocation.Instance;
            destinationExpression = invocation.Arguments[0].Value;
        }
        else if (KnownSymbols.Is(type, symbols.MemoryExtensions) && method.IsExtensionMethod && invocation.Arguments.Length == 2)
        {
            // T[].CopyTo(Span<T>) / CopyTo(Memory<T>)
            api = "CopyTo";
            sourceExpression = invocation.Arguments[0].Value;
            destinationExpression = invocation.Arguments[1].Value;
        }
        else if (KnownSymbols.Is(type, symbols.Array) && !method.IsStatic && invocation.Arguments.Length == 2)
        {
            // Array.CopyTo(Array array, int index)
            api = "Array.CopyTo";
            sourceExpression = invocation.Instance;
            destinationExpression = invocation.Arguments[0].Value;
            destinationIndex = invocation.Arguments[1].Value;
        }
        else
        {
            return null;
        }

        var source = View(sourceExpression, out var sourceLengthArgument);
        var destination = View(destinationExpression, out _);
        if (destinationIndex is not null)
        {
            destination = new CopyOperand(destination.Buffer, destinationIndex, null);
        }

        return new CopySite(api, invocation, sourceLengthArgument, source.ViewLength, new CopyOperand(source.Buffer, source.Offset, null), destination, countsBytes: false, destinationSizeArgument: null);
    }

    /// <summary>The <c>int</c> behind an <c>Index</c> operand of a range (the implicit <c>int</c>-to-<c>Index</c> conversion).</summary>
    private static IOperation? IndexValue(IOperation? operand)
    {
        var value = LinearForm.Strip(operand);
        if (value is IConversionOperation { Operand.Type.SpecialType: SpecialType.System_Int32 } conversion)
        {
            value = LinearForm.Strip(conversion.Operand);
        }

        return value;
    }

    /// <summary>
    /// Unwraps one view: <c>a.AsSpan(s, n)</c>, <c>a.AsMemory(s)</c>, <c>x.Slice(s, n)</c>, <c>new Span&lt;T&gt;(a, s, n)</c>,
    /// implicit array-to-span conversions.
    /// </summary>
    public static CopyOperand View(IOperation? expression, out IArgumentOperation? lengthArgument)
    {
        lengthArgument = null;
        var operation = LinearForm.Strip(expression);
        IOperation? buffer = null;
        IArgumentOperation? start = null;
        switch (operation)
        {
            case IInvocationOperation { TargetMethod: { Name: "AsSpan" or "AsMemory", ContainingType.Name: "MemoryExtensions" } } asSpan
                when asSpan.Arguments.Length >= 1 && asSpan.Arguments[0].Value.Type is IArrayTypeSymbol:
                buffer = asSpan.Arguments[0].Value;
                foreach (var argument in asSpan.Arguments)
                {
                    switch (argument.Parameter?.Name)
                    {
                        case "start" when argument.Value.Type?.SpecialType == SpecialType.System_Int32: start = argument; break;
                        case "length": lengthArgument = argument; break;
                        case "start" or "startIndex" or "range": return CopyOperand.Whole(operation);
                    }
                }

                break;
            case IInvocationOperation { TargetMethod: { Name: "Slice", ContainingType.Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" } } slice
                when slice.Instance is not null:
                var inner = View(slice.Instance, out var innerLength);
                if (!inner.StartsAtZero || innerLength is not null)
                {
                    return CopyOperand.Whole(operation);
                }

                buffer = inner.Buffer;
                foreach (var argument in slice.Arguments)
                {
                    switch (argument.Parameter?.Name)
                    {
                        case "start": start = argument; break;
                        case "length": lengthArgument = argument; break;
                    }
                }

                break;
            case IImplicitIndexerReferenceOperation { Argument: IRangeOperation range } indexer
                when indexer.Instance is not null && indexer.Instance.Type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" }:
                {
                    // x[..n] is x.Slice(0, n); other ranges (a..b, ^n) are left alone.
                    var end = IndexValue(range.RightOperand);
                    var begin = IndexValue(range.LeftOperand);
                    var rangeInner = View(indexer.Instance, out var rangeInnerLength);
                    if (end is null || end.Type?.SpecialType != SpecialType.System_Int32
                        || (begin is not null && begin.ConstantValue is not { HasValue: true, Value: 0 })
                        || !rangeInner.StartsAtZero || rangeInnerLength is not null)
                    {
                        return CopyOperand.Whole(operation);
                    }

                    return new CopyOperand(rangeInner.Buffer, null, end);
                }

            case IObjectCreationOperation { Constructor.ContainingType.Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" } creation
                when creation.Arguments.Length is 1 or 3 && creation.Arguments[0].Value.Type is IArrayTypeSymbol:
                buffer = creation.Arguments[0].Value;
                if (creation.Arguments.Length == 3)
                {
                    start = creation.Arguments[1];
                    lengthArgument = creation.Arguments[2];
                }

                break;
            default:
                return CopyOperand.Whole(operation);
        }

        if (lengthArgument is not null && lengthArgument.Value.Type?.SpecialType != SpecialType.System_Int32)
        {
            lengthArgument = null;
            return CopyOperand.Whole(operation);
        }

        return new CopyOperand(LinearForm.Strip(buffer), start?.Value, lengthArgument?.Value);
    }

    /// <summary>A pointer or <c>ref</c> operand: <c>p</c>, <c>ref a[i]</c>, <c>&amp;a[i]</c>, <c>ref MemoryMarshal.GetArrayDataReference(a)</c>.</summary>
    private static CopyOperand Pointer(IArgumentOperation? argument)
    {
        var operation = LinearForm.Strip(argument?.Value);
        if (operation is IAddressOfOperation addressOf)
        {
            operation = addressOf.Reference;
        }

        switch (operation)
        {
            case IArrayElementReferenceOperation { Indices.Length: 1 } element:
                return new CopyOperand(LinearForm.Strip(element.ArrayReference), element.Indices[0], null, offsetCountsElements: true);
            case IInvocationOperation { TargetMethod.Name: "GetArrayDataReference" or "GetReference", Arguments.Length: 1 } reference:
                return CopyOperand.Whole(LinearForm.Strip(reference.Arguments[0].Value));
            default:
                return CopyOperand.Whole(operation);
        }
    }

    private static CopySite Site(string api, IInvocationOperation invocation, string count, string source, string sourceOffset,
        string destination, string destinationOffset, bool countsBytes)
    {
        var countArgument = Argument(invocation, count);
        return new CopySite(
            api,
            invocation,
            countArgument,
            countArgument?.Value,
            new CopyOperand(LinearForm.Strip(Argument(invocation, source)?.Value), Argument(invocation, sourceOffset)?.Value, null),
            new CopyOperand(LinearForm.Strip(Argument(invocation, destination)?.Value), Argument(invocation, destinationOffset)?.Value, null),
            countsBytes,
            destinationSizeArgument: null);
    }

    private static IArgumentOperation? Argument(IInvocationOperation invocation, string name)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == name)
            {
                return argument;
            }
        }

        return null;
    }
}

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Decides whether a reference to a buffer (an array, or a <c>Span&lt;T&gt;</c>/<c>Memory&lt;T&gt;</c> over one)
/// is used to write the buffer's contents: an element assignment, a copy or read destination
/// (<c>Buffer.BlockCopy</c>, <c>Array.Copy</c>, <c>Marshal.Copy</c>, <c>span.CopyTo(dst)</c>, <c>Stream.Read</c>,
/// <c>Socket.Receive</c>, <c>Encoding.GetBytes</c>, libc <c>read</c>/<c>recv</c>/<c>memcpy</c>), or a writable span or
/// memory over it that is filled, cleared or handed to a method that takes a writable span.
/// Reading the buffer, copying from it or sending it is not a write.
/// </summary>
internal static class BufferWrites
{
    /// <summary>
    /// True when <paramref name="reference"/> (an operation whose value is the buffer, usually a field reference)
    /// writes the buffer's contents.
    /// </summary>
    public static bool IsContentWrite(IOperation reference, KnownSymbols symbols)
        => FindContentWrite(reference, symbols) is not null;

    /// <summary>
    /// Where <paramref name="reference"/> leads to a write of the buffer's contents: the reference itself, or a use of
    /// a local that holds the buffer or a view of it (<c>var span = msg.AsSpan(); span.Fill(0);</c>); null when it does not.
    /// </summary>
    public static IOperation? FindContentWrite(IOperation reference, KnownSymbols symbols)
        => FindContentWrite(reference, symbols, aliasDepth: 0);

    private static IOperation? FindContentWrite(IOperation reference, KnownSymbols symbols, int aliasDepth)
    {
        var current = reference;

        // Each step follows the buffer into a view of it (a conversion to Span<T>, AsSpan(), Slice(), Memory.Span);
        // the depth bound keeps malformed trees from looping.
        for (var depth = 0; depth < 16; depth++)
        {
            var parent = current.Parent;
            if (parent is null)
            {
                return null;
            }

            switch (parent)
            {
                case IConversionOperation conversion:
                    if (!IsWritableView(conversion.Type, symbols) && !IsArrayLike(conversion.Type, symbols))
                    {
                        // ReadOnlySpan<T>, object, IEnumerable<T>...: nothing can be written through it
                        // (System.Array stays: Array.Copy and Buffer.BlockCopy take their arrays as Array).
                        return null;
                    }

                    current = conversion;
                    continue;

                case IArrayElementReferenceOperation element when element.ArrayReference == current:
                    return IsWriteTarget(element) ? reference : null;

                case IPropertyReferenceOperation property when property.Instance == current:
                    if (property.Property.IsIndexer && IsWritableView(current.Type, symbols))
                    {
                        // span[i] = value
                        return IsWriteTarget(property) ? reference : null;
                    }

                    if (property.Property.Name == "Span" && KnownSymbols.Is(current.Type, symbols.Memory))
                    {
                        current = property;
                        continue;
                    }

                    return null;

                case IImplicitIndexerReferenceOperation indexer when indexer.Instance == current:
                    // span[1..] is a slice (a view); array[1..] is a fresh copy; span[^1] is an element.
                    if (IsWritableView(indexer.Type, symbols))
                    {
                        current = indexer;
                        continue;
                    }

                    return IsWritableView(current.Type, symbols) && IsWriteTarget(indexer) ? reference : null;

                case IInvocationOperation invocation when invocation.Instance == current:
                    switch (ClassifyInstanceCall(invocation, current, symbols))
                    {
                        case Use.Write:
                            return reference;
                        case Use.View:
                            current = invocation;
                            continue;
                        default:
                            return null;
                    }

                case IArgumentOperation argument:
                    switch (ClassifyArgument(argument, current, symbols))
                    {
                        case Use.Write:
                            return reference;
                        case Use.View:
                            current = argument.Parent!;
                            continue;
                        default:
                            return null;
                    }

                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return aliasDepth < 2 ? FindWriteThroughLocal(declarator.Symbol, current, symbols, aliasDepth) : null;

                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="reference"/> neither reads the buffer's contents nor lets anything else read them, in
    /// the way of a buffer that input is read into only to be thrown away: its length, the destination of a stream's
    /// read, a socket's receive or a native <c>read</c>/<c>recv</c> (through views of it), or the field itself replaced.
    /// A buffer whose every reference is one of these is a sink (<c>stream.Read(skip, 0, n)</c> to skip bytes): what
    /// concurrent readers leave in it is never looked at.
    /// </summary>
    public static bool IsDiscardUse(IOperation reference, KnownSymbols symbols)
    {
        var current = reference;
        for (var depth = 0; depth < 16; depth++)
        {
            switch (current.Parent)
            {
                case IConversionOperation conversion when IsWritableView(conversion.Type, symbols) || IsArrayLike(conversion.Type, symbols):
                    current = conversion;
                    continue;

                case IPropertyReferenceOperation property when property.Instance == current:
                    if (property.Property.Name == "Span" && KnownSymbols.Is(current.Type, symbols.Memory))
                    {
                        current = property;
                        continue;
                    }

                    return property.Property.Name is "Length" or "LongLength" && !property.Property.IsIndexer;

                case IInvocationOperation view when view.Instance == current && ClassifyInstanceCall(view, current, symbols) == Use.View:
                    current = view;
                    continue;

                case IArgumentOperation { Parameter: { RefKind: RefKind.None } parameter } argument:
                    if (ClassifyArgument(argument, current, symbols) == Use.View)
                    {
                        // buf.AsSpan(0, n), new Memory<byte>(buf)
                        current = argument.Parent!;
                        continue;
                    }

                    // stream.Read(skip, 0, n), await stream.ReadAsync(skip.AsMemory(0, n)), socket.Receive(skip), read(fd, skip, n).
                    return argument.Parent is IInvocationOperation reader && IsReadDestination(reader.TargetMethod, parameter, symbols);

                case IAssignmentOperation { Parent: IExpressionStatementOperation } replace when current == reference && replace.Target == current:
                    // s_skip = new byte[n] or s_skip ??= new byte[n] as a statement: replaces the array, reads nothing.
                    return replace is ISimpleAssignmentOperation or ICoalesceAssignmentOperation;

                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary>A local initialized with the buffer (or a span of it) and never reassigned: its writes are the buffer's.</summary>
    private static IOperation? FindWriteThroughLocal(ILocalSymbol local, IOperation value, KnownSymbols symbols, int aliasDepth)
    {
        if (local.IsRef || !IsWritableView(local.Type, symbols) && !IsArrayLike(local.Type, symbols))
        {
            return null;
        }

        var root = value;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        IOperation? write = null;
        foreach (var operation in root.Descendants())
        {
            if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            if (reference.Parent is IAssignmentOperation assignment && assignment.Target == reference)
            {
                // Reassigned: later uses may be another buffer.
                return null;
            }

            write ??= FindContentWrite(reference, symbols, aliasDepth + 1);
        }

        return write;
    }

    private enum Use
    {
        None,

        /// <summary>The call writes the buffer.</summary>
        Write,

        /// <summary>The call returns a writable view of the buffer (span, memory, slice).</summary>
        View,
    }

    private static Use ClassifyInstanceCall(IInvocationOperation invocation, IOperation buffer, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var type = buffer.Type;
        if (IsWritableView(type, symbols))
        {
            switch (method.Name)
            {
                case "Fill" or "Clear":
                    return Use.Write;
                case "Slice":
                    return Use.View;
            }

            return Use.None;
        }

        if (IsArrayLike(type, symbols))
        {
            // array.SetValue(...), array.Initialize(); array.CopyTo(dst, i) reads it.
            return method.Name is "SetValue" or "Initialize" && KnownSymbols.Is(method.ContainingType, symbols.Array)
                ? Use.Write
                : Use.None;
        }

        return Use.None;
    }

    private static Use ClassifyArgument(IArgumentOperation argument, IOperation buffer, KnownSymbols symbols)
    {
        var parameter = argument.Parameter;
        if (parameter is null)
        {
            return Use.None;
        }

        if (parameter.RefKind is RefKind.Ref or RefKind.Out)
        {
            // Passing the field itself by ref lets the callee replace it (Array.Resize): not its contents.
            return Use.None;
        }

        switch (argument.Parent)
        {
            case IObjectCreationOperation creation:
                // new Span<byte>(msg), new Memory<byte>(msg, 0, 10)
                return IsWritableView(creation.Type, symbols) ? Use.View : Use.None;

            case IInvocationOperation invocation:
                var method = invocation.TargetMethod;
                var containingType = method.ContainingType;

                if (KnownSymbols.Is(containingType, symbols.MemoryExtensions))
                {
                    return ClassifyMemoryExtensions(method, parameter, symbols);
                }

                if (IsWritableView(parameter.Type, symbols) && IsWritableView(buffer.Type, symbols))
                {
                    // A method that takes a writable Span<T>/Memory<T> writes it: span.CopyTo(dst),
                    // stream.Read(span), BinaryPrimitives.WriteInt32BigEndian(dst, v), encoding.GetBytes(s, dst).
                    // The extension receiver ("this Span<T>") is not necessarily written.
                    return method.IsExtensionMethod && parameter.Ordinal == 0 ? Use.None : Use.Write;
                }

                if (IsArrayLike(buffer.Type, symbols) && IsArrayDestination(method, parameter, symbols))
                {
                    return Use.Write;
                }

                return Use.None;

            default:
                return Use.None;
        }
    }

    private static Use ClassifyMemoryExtensions(IMethodSymbol method, IParameterSymbol parameter, KnownSymbols symbols)
    {
        switch (method.Name)
        {
            case "AsSpan" or "AsMemory" when parameter.Ordinal == 0:
                return IsWritableView(method.ReturnType, symbols) ? Use.View : Use.None;
            case "Reverse" or "Sort" or "Replace" when parameter.Ordinal == 0 && IsWritableView(parameter.Type, symbols):
                return Use.Write;
            case "CopyTo" or "TryCopyTo" when parameter.Name == "destination":
                return Use.Write;
        }

        return Use.None;
    }

    /// <summary>Array-typed parameters of well-known APIs that the API writes.</summary>
    private static bool IsArrayDestination(IMethodSymbol method, IParameterSymbol parameter, KnownSymbols symbols)
    {
        var type = method.ContainingType;
        var name = parameter.Name;
        switch (method.Name)
        {
            case "BlockCopy":
                return name == "dst" && KnownSymbols.Is(type, symbols.Buffer);
            case "Copy" or "ConstrainedCopy" when KnownSymbols.Is(type, symbols.Array):
                return name == "destinationArray";
            case "Clear" or "Fill" or "Reverse" or "Sort" when KnownSymbols.Is(type, symbols.Array):
                return parameter.Ordinal == 0 || name is "keys" or "items";
            case "CopyTo" when KnownSymbols.Is(type, symbols.Array):
                // source.CopyTo(destination, index)
                return name == "array";
            case "Copy" when KnownSymbols.Is(type, symbols.Marshal):
                return name == "destination";
            case "CopyTo" when type?.SpecialType == SpecialType.System_String:
                // text.CopyTo(sourceIndex, destination, destinationIndex, count)
                return name == "destination";
            case "GetBytes" when KnownSymbols.IsOrDerivesFrom(type, symbols.Encoding):
                return name == "bytes" && parameter.Ordinal > 0;
            case "GetChars" when KnownSymbols.IsOrDerivesFrom(type, symbols.Encoding):
                return name == "chars" && parameter.Ordinal > 0;
            case "NextBytes" when KnownSymbols.IsOrDerivesFrom(type, symbols.Random):
                // random.NextBytes(buffer)
                return name == "buffer";
            case "GetBytes" or "GetNonZeroBytes" when KnownSymbols.IsOrDerivesFrom(type, symbols.RandomNumberGenerator):
                // rng.GetBytes(data), rng.GetBytes(data, offset, count)
                return name == "data";
        }

        // Reads and receives fill their buffer; memcpy/memmove/memset their first argument.
        return IsReadDestination(method, parameter, symbols)
            || (parameter.Ordinal == 0 && NativeMethods.GetEntryPoint(method, symbols) is NativeMethods.Memcpy or NativeMethods.Memmove or "memset");
    }

    /// <summary>
    /// The buffer input is read into: a stream's <c>Read*</c>/<c>BeginRead</c>, a socket's <c>Receive*</c>/<c>BeginReceive*</c>
    /// (array or span overloads), the second argument of libc <c>read</c>/<c>recv</c>/<c>recvfrom</c>/<c>pread</c>.
    /// </summary>
    private static bool IsReadDestination(IMethodSymbol method, IParameterSymbol parameter, KnownSymbols symbols)
    {
        switch (method.Name)
        {
            case "Read" or "ReadAsync" or "ReadAtLeast" or "ReadAtLeastAsync" or "ReadExactly" or "ReadExactlyAsync" or "BeginRead"
                when KnownSymbols.IsOrDerivesFrom(method.ContainingType, symbols.Stream):
                return parameter.Name == "buffer";
            case "Receive" or "ReceiveAsync" or "ReceiveFrom" or "ReceiveFromAsync" or "ReceiveMessageFrom" or "BeginReceive" or "BeginReceiveFrom"
                when KnownSymbols.IsOrDerivesFrom(method.ContainingType, symbols.Socket):
                return parameter.Name == "buffer";
        }

        return parameter.Ordinal == 1 && NativeMethods.GetEntryPoint(method, symbols) is "read" or "recv" or "recvfrom" or "pread";
    }

    /// <summary>True when the element or indexer reference is assigned, incremented or passed by ref/out.</summary>
    private static bool IsWriteTarget(IOperation element)
    {
        var current = element;
        for (var depth = 0; depth < 8; depth++)
        {
            switch (current.Parent)
            {
                case IAssignmentOperation assignment when assignment.Target == current:
                    return true;
                case IIncrementOrDecrementOperation increment when increment.Target == current:
                    return true;
                case IArgumentOperation argument when argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out:
                    // Interlocked.Increment(ref counts[i]) and Volatile.Write(ref flags[i], v) are atomic.
                    return !(argument.Parent is IInvocationOperation { TargetMethod.ContainingType: { } type }
                        && type.Name is "Interlocked" or "Volatile"
                        && type.ContainingNamespace is { Name: "Threading", ContainingNamespace.Name: "System" });
                case ITupleOperation tuple:
                    // (table[0], table[1]) = pair: an element of a deconstruction's target tuple is assigned.
                    current = tuple;
                    continue;
                case IFieldReferenceOperation member when member.Instance == current && current.Type?.IsValueType == true:
                    // structs[i].Length = n writes the element in place.
                    current = member;
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary><c>Span&lt;T&gt;</c> or <c>Memory&lt;T&gt;</c>: a view through which the buffer can be written.</summary>
    public static bool IsWritableView(ITypeSymbol? type, KnownSymbols symbols)
        => KnownSymbols.Is(type, symbols.Span) || KnownSymbols.Is(type, symbols.Memory);

    /// <summary>An array type, or <c>System.Array</c> (what an array converts to for <c>Array.Copy</c>).</summary>
    private static bool IsArrayLike(ITypeSymbol? type, KnownSymbols symbols)
        => type is IArrayTypeSymbol || KnownSymbols.Is(type, symbols.Array);
}

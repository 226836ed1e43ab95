using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>The byte order a 16-bit port value is in, as far as the code shows.</summary>
internal enum ByteOrderKind
{
    /// <summary>Nothing in the code says which order the value is in: rules stay silent.</summary>
    Unknown,

    /// <summary>The constant 0: the same in both orders.</summary>
    Zero,

    /// <summary>Host order: a literal, a variable, a parameter, a field, <c>IPEndPoint.Port</c>, a parsed number.</summary>
    HostOrder,

    /// <summary>
    /// Network order: <c>IPAddress.HostToNetworkOrder(...)</c>, <c>htons(...)</c>, a byte swap of a host-order value,
    /// a read of <c>sin_port</c> or of a <c>[NetworkByteOrder]</c> member.
    /// </summary>
    NetworkOrder,
}

/// <summary>Which order a destination of a port value expects.</summary>
internal enum PortDestinationKind
{
    None,

    /// <summary><c>sin_port</c>/<c>sin6_port</c>, or a 16-bit field, property or parameter marked <c>[NetworkByteOrder]</c>.</summary>
    NetworkField,

    /// <summary>An explicit little-endian writer (<c>BinaryPrimitives.Write(U)Int16LittleEndian</c>): the bytes on the wire come out reversed.</summary>
    LittleEndianWriter,

    /// <summary>A native-order writer (<c>BitConverter.GetBytes</c>, <c>TryWriteBytes</c>, <c>MemoryMarshal.Write</c>) of a 16-bit value.</summary>
    NativeWriter,

    /// <summary>A managed endpoint or client port: <c>IPEndPoint</c>, <c>DnsEndPoint</c>, <c>TcpClient</c>, <c>UdpClient</c>, <c>TcpListener</c>, <c>Socket.Connect</c>.</summary>
    HostPort,
}

/// <summary>A destination of a port value: its kind, its type and how to name it in a message.</summary>
internal readonly struct PortDestination
{
    public PortDestination(PortDestinationKind kind, ITypeSymbol? type, string display, IMethodSymbol? writer = null)
    {
        Kind = kind;
        Type = type;
        Display = display;
        Writer = writer;
    }

    public PortDestinationKind Kind { get; }

    /// <summary>The type the destination stores (the field, property or parameter type).</summary>
    public ITypeSymbol? Type { get; }

    /// <summary>The destination as a message names it, quotes included.</summary>
    public string Display { get; }

    /// <summary>For writers: the writer method.</summary>
    public IMethodSymbol? Writer { get; }

    public bool ExpectsNetworkOrder => Kind is PortDestinationKind.NetworkField or PortDestinationKind.LittleEndianWriter or PortDestinationKind.NativeWriter;

    public static PortDestination None => default;
}

/// <summary>The byte order of a value, and when the value is itself a byte swap, what was swapped.</summary>
internal readonly struct ByteOrderValue
{
    public ByteOrderValue(ByteOrderKind kind, IOperation? swapInput = null)
    {
        Kind = kind;
        SwapInput = swapInput;
    }

    public ByteOrderKind Kind { get; }

    /// <summary>
    /// When the value (ignoring casts) is a byte swap (<c>HostToNetworkOrder(x)</c>, <c>htons(x)</c>,
    /// <c>ReverseEndianness(x)</c>, an <c>IsLittleEndian ? swap : x</c> or a shift-and-or swap): <c>x</c>.
    /// </summary>
    public IOperation? SwapInput { get; }
}

/// <summary>
/// Byte-order facts about ports: which destinations expect network order (sockaddr ports, <c>[NetworkByteOrder]</c>
/// members, little-endian and native-order writers) or host order (managed endpoints and clients), and which
/// order a value is in. Classification errs towards <see cref="ByteOrderKind.Unknown"/>: a rule must only
/// report what the code evidently gets wrong.
/// </summary>
internal static class ByteOrder
{
    public const string NetworkByteOrderAttributeName = "NetworkByteOrderAttribute";

    private const int MaxLocalDepth = 4;

    private enum SwapDirection
    {
        /// <summary><c>ReverseEndianness</c>, a shift-and-or swap, an <c>IsLittleEndian</c> conditional swap.</summary>
        Either,

        /// <summary><c>HostToNetworkOrder</c>, <c>htons</c>.</summary>
        ToNetwork,

        /// <summary><c>NetworkToHostOrder</c>, <c>ntohs</c>.</summary>
        ToHost,
    }

    // ---------------------------------------------------------------------------------------------
    // Symbols

    /// <summary>True when <paramref name="symbol"/> carries an attribute named <c>NetworkByteOrderAttribute</c> (any namespace).</summary>
    public static bool HasNetworkByteOrderAttribute(ISymbol symbol)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { } type
                && string.Equals(type.Name, NetworkByteOrderAttributeName, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the method's return value carries <c>[return: NetworkByteOrder]</c>.</summary>
    public static bool ReturnsNetworkByteOrder(IMethodSymbol method)
    {
        foreach (var attribute in method.GetReturnTypeAttributes())
        {
            if (attribute.AttributeClass is { } type
                && string.Equals(type.Name, NetworkByteOrderAttributeName, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True for a field named <c>sin_port</c> or <c>sin6_port</c> (of any struct or class).</summary>
    public static bool IsSockaddrPortField(IFieldSymbol field)
        => field.Name is "sin_port" or "sin6_port";

    /// <summary>True for a field/property/parameter/local whose name says its value is already in network order.</summary>
    public static bool NameSuggestsNetworkOrder(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        if (name.EndsWith("BE", StringComparison.Ordinal) || name.EndsWith("Be", StringComparison.Ordinal))
        {
            return true;
        }

        var lower = name.TrimStart('_').ToLowerInvariant();
        return lower.StartsWith("net", StringComparison.Ordinal)
            || lower.Contains("network")
            || lower.Contains("netorder")
            || lower.Contains("nbo")
            || lower.Contains("bigendian")
            || lower.Contains("wire")
            || lower.EndsWith("_be", StringComparison.Ordinal)
            || lower.StartsWith("be_", StringComparison.Ordinal);
    }

    /// <summary>
    /// True when one of the name's words is "port": <c>port</c>, <c>localPort</c>, <c>sin_port</c>, <c>LISTEN_PORT</c>,
    /// <c>dport</c>, <c>srcport</c>; not <c>transportVersion</c>, <c>reportId</c>, <c>supportFlags</c>, <c>Import</c>,
    /// <c>portion</c> or <c>portable</c>, where the letters are part of another word.
    /// </summary>
    private static bool NameContainsPort(string name)
    {
        for (var i = name.IndexOf("port", StringComparison.OrdinalIgnoreCase); i >= 0; i = name.IndexOf("port", i + 1, StringComparison.OrdinalIgnoreCase))
        {
            if (StartsWithAny(name, i + 4, NotPortWordEnds))
            {
                continue; // portion, portable, portal, portrait (portno and portnum are ports)
            }

            var upper = char.IsUpper(name[i]);
            if (upper && !char.IsUpper(name[i + 1]))
            {
                return true; // a word of its own in camel case: localPort, PortNumber
            }

            // The letters of the same word before it: "trans" in transport or TRANSPORT, "s" in sport, "Trans" in Transport.
            var start = i;
            while (start > 0 && char.IsLetter(name[start - 1]) && char.IsUpper(name[start - 1]) == upper)
            {
                start--;
            }

            if (!upper && start > 0 && char.IsUpper(name[start - 1]))
            {
                start--;
            }

            if (!EndsWithAny(name, start, i, NotPortWordStarts))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What comes before "port" in words that are not ports: transport, report, support, import, export, passport...</summary>
    private static readonly string[] NotPortWordStarts = ["trans", "re", "sup", "im", "ex", "pass", "com", "pur", "rap", "view", "tele", "op"];

    /// <summary>What follows "port" in words that are not ports.</summary>
    private static readonly string[] NotPortWordEnds =
    [
        "ion", "abl", "al", "rait", "ray", "folio", "ent", "ly", "er", "manteau",
        // portCount, portIndex, PortName: about ports, not a port number.
        "Count", "Index", "Idx", "List", "Name", "Range", "Map", "Mask", "Type", "Mode", "Status", "State", "Flags",
    ];

    private static bool StartsWithAny(string text, int index, string[] starts)
    {
        foreach (var start in starts)
        {
            if (string.CompareOrdinal(text, index, start, 0, start.Length) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="text"/>[<paramref name="start"/>..<paramref name="end"/>) ends with one of <paramref name="endings"/>, ignoring case.</summary>
    private static bool EndsWithAny(string text, int start, int end, string[] endings)
    {
        foreach (var ending in endings)
        {
            if (end - ending.Length >= start
                && string.Compare(text, end - ending.Length, ending, 0, ending.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                return true;
            }
        }

        return false;
    }

    internal static bool Is16Bit(ITypeSymbol? type)
        => type?.SpecialType is SpecialType.System_Int16 or SpecialType.System_UInt16;

    private static bool IsIntegral(ITypeSymbol? type)
        => type?.SpecialType is SpecialType.System_Int16 or SpecialType.System_UInt16
            or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64;

    private static bool IsNetType(INamedTypeSymbol? type, string ns, string name)
    {
        if (type is null || !string.Equals(type.Name, name, StringComparison.Ordinal))
        {
            return false;
        }

        return string.Equals(type.ContainingNamespace?.ToDisplayString(), ns, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------------------------------------
    // Destinations

    /// <summary>Classifies the target of an assignment (a field or property store, or an object-initializer member).</summary>
    /// <param name="deferWrittenBigEndian">
    /// True to classify a sockaddr port field without the costly <see cref="IsWrittenBigEndian"/> test: the caller makes
    /// it when it matters (a field it holds is then no destination).
    /// </param>
    public static PortDestination ClassifyAssignmentTarget(IOperation target, KnownSymbols symbols, CancellationToken cancellationToken = default, bool deferWrittenBigEndian = false)
    {
        switch (target)
        {
            case IFieldReferenceOperation fieldReference:
            {
                var field = fieldReference.Field;
                if (IsSockaddrPortField(field)
                        ? IsIntegral(field.Type) && (deferWrittenBigEndian || !IsWrittenBigEndian(field, fieldReference.SemanticModel, symbols, cancellationToken))
                        : Is16Bit(field.Type) && HasNetworkByteOrderAttribute(field))
                {
                    return new PortDestination(PortDestinationKind.NetworkField, field.Type, "'" + TargetDisplay(target, field) + "'");
                }

                return PortDestination.None;
            }

            case IPropertyReferenceOperation propertyReference:
            {
                var property = propertyReference.Property;
                if (property.Name == "Port" && KnownSymbols.IsOrDerivesFrom(property.ContainingType, symbols.IPEndPoint))
                {
                    return new PortDestination(PortDestinationKind.HostPort, property.Type, "'IPEndPoint.Port'");
                }

                if (Is16Bit(property.Type) && HasNetworkByteOrderAttribute(property))
                {
                    return new PortDestination(PortDestinationKind.NetworkField, property.Type, "'" + TargetDisplay(target, property) + "'");
                }

                return PortDestination.None;
            }

            default:
                return PortDestination.None;
        }
    }

    /// <summary>
    /// True when code in the field's own syntax tree passes the field to a big-endian writer
    /// (<c>BinaryPrimitives.WriteUInt16BigEndian(span, record.sin_port)</c>) or stores a big-endian read into it
    /// (<c>record.sin_port = BinaryPrimitives.ReadUInt16BigEndian(span)</c>): the struct mirrors a big-endian wire
    /// record that is (de)serialized explicitly, so its <c>sin_port</c> holds the port in host order.
    /// </summary>
    public static bool IsWrittenBigEndian(IFieldSymbol field, SemanticModel? model, KnownSymbols symbols, CancellationToken cancellationToken)
    {
        if (model is null || symbols.BinaryPrimitives is null)
        {
            return false;
        }

        foreach (var declaration in field.DeclaringSyntaxReferences)
        {
            if (declaration.SyntaxTree != model.SyntaxTree)
            {
                continue;
            }

            // Both shapes call a method whose name ends in "BigEndian": a tree that does not spell it needs no walk.
            var text = TreeText.Of(declaration.SyntaxTree, cancellationToken);
            if (text.IndexOf("BigEndian", StringComparison.Ordinal) < 0 && !TextReads.SearchUnicodeEscape(text, 0, text.Length))
            {
                continue;
            }

            foreach (var node in declaration.SyntaxTree.GetRoot(cancellationToken).DescendantNodes())
            {
                cancellationToken.ThrowIfCancellationRequested();

                // record.sin_port = BinaryPrimitives.ReadUInt16BigEndian(span): parsed from the wire into host order.
                if (node is AssignmentExpressionSyntax { Left: var left, Right: var right } read
                    && read.IsKind(SyntaxKind.SimpleAssignmentExpression)
                    && StripCastsAndParentheses(right) is InvocationExpressionSyntax reader
                    && IsBigEndianAccessorName(reader.Expression, "Read")
                    && (left is IdentifierNameSyntax { Identifier.ValueText: var leftName } && leftName == field.Name
                        || left is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var memberName } && memberName == field.Name)
                    && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(left, cancellationToken).Symbol?.OriginalDefinition, field.OriginalDefinition)
                    && model.GetSymbolInfo(reader, cancellationToken).Symbol is IMethodSymbol parser
                    && KnownSymbols.Is(parser.ContainingType, symbols.BinaryPrimitives))
                {
                    return true;
                }

                if (node is not InvocationExpressionSyntax invocation || !IsBigEndianWriterName(invocation.Expression))
                {
                    continue;
                }

                foreach (var argument in invocation.ArgumentList.Arguments)
                {
                    var expression = StripCastsAndParentheses(argument.Expression);

                    var named = expression switch
                    {
                        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                        MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
                        _ => null,
                    };

                    if (named == field.Name
                        && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(expression, cancellationToken).Symbol?.OriginalDefinition, field.OriginalDefinition)
                        && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol writer
                        && KnownSymbols.Is(writer.ContainingType, symbols.BinaryPrimitives))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static ExpressionSyntax StripCastsAndParentheses(ExpressionSyntax expression)
    {
        while (expression is CastExpressionSyntax or ParenthesizedExpressionSyntax)
        {
            expression = expression is CastExpressionSyntax cast ? cast.Expression : ((ParenthesizedExpressionSyntax)expression).Expression;
        }

        return expression;
    }

    private static bool IsBigEndianAccessorName(ExpressionSyntax expression, string verb)
    {
        var name = expression switch
        {
            MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            _ => null,
        };

        return name is not null
            && (name.StartsWith(verb, StringComparison.Ordinal)
                || (name.StartsWith("Try", StringComparison.Ordinal) && string.CompareOrdinal(name, 3, verb, 0, verb.Length) == 0))
            && name.EndsWith("BigEndian", StringComparison.Ordinal);
    }

    private static bool IsBigEndianWriterName(ExpressionSyntax expression)
    {
        var name = expression switch
        {
            MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            _ => null,
        };

        return name is not null
            && (name.StartsWith("Write", StringComparison.Ordinal) || name.StartsWith("TryWrite", StringComparison.Ordinal))
            && name.EndsWith("BigEndian", StringComparison.Ordinal);
    }

    private static string TargetDisplay(IOperation target, ISymbol member)
    {
        var text = target.Syntax.ToString();
        return text.Length is > 0 and <= 60 ? text : member.ContainingType?.Name + "." + member.Name;
    }

    /// <summary>Classifies the parameter an argument is passed to.</summary>
    public static PortDestination ClassifyArgument(IArgumentOperation argument, KnownSymbols symbols)
    {
        var parameter = argument.Parameter;
        if (parameter?.ContainingSymbol is not IMethodSymbol method || method.ContainingType is not { } type)
        {
            return PortDestination.None;
        }

        if (parameter.Name == "port")
        {
            if (TakesHostOrderPort(type, symbols))
            {
                return new PortDestination(PortDestinationKind.HostPort, parameter.Type, "the 'port' argument of '" + MethodDisplay(method) + "'");
            }
        }

        if (parameter.Name == "value")
        {
            if (KnownSymbols.Is(type, symbols.BinaryPrimitives))
            {
                if (method.Name is "WriteInt16LittleEndian" or "WriteUInt16LittleEndian" or "TryWriteInt16LittleEndian" or "TryWriteUInt16LittleEndian")
                {
                    return new PortDestination(PortDestinationKind.LittleEndianWriter, parameter.Type, "the bytes written by '" + MethodDisplay(method) + "'", method);
                }

                return PortDestination.None;
            }

            if (KnownSymbols.Is(type, symbols.BitConverter))
            {
                if (method.Name is "GetBytes" or "TryWriteBytes" && Is16Bit(parameter.Type))
                {
                    return new PortDestination(PortDestinationKind.NativeWriter, parameter.Type, "the bytes written by '" + MethodDisplay(method) + "'", method);
                }

                return PortDestination.None;
            }

            if (KnownSymbols.Is(type, symbols.MemoryMarshal) || KnownSymbols.Is(type, symbols.Unsafe))
            {
                if (method.Name is "Write" or "TryWrite" or "WriteUnaligned" && method.TypeArguments.Length == 1 && Is16Bit(method.TypeArguments[0]))
                {
                    return new PortDestination(PortDestinationKind.NativeWriter, method.TypeArguments[0], "the bytes written by '" + MethodDisplay(method) + "'", method);
                }

                return PortDestination.None;
            }
        }

        // Marshal.WriteInt16(ptr, ofs, val): two bytes in the machine's order (a sockaddr_in built in native memory).
        if (parameter.Name == "val" && method.Name == "WriteInt16" && KnownSymbols.Is(type, symbols.Marshal))
        {
            return new PortDestination(PortDestinationKind.NativeWriter, parameter.Type, "the bytes written by '" + MethodDisplay(method) + "'", method);
        }

        if (Is16Bit(parameter.Type) && HasNetworkByteOrderAttribute(parameter))
        {
            return new PortDestination(PortDestinationKind.NetworkField, parameter.Type, "parameter '" + parameter.Name + "' of '" + MethodDisplay(method) + "'");
        }

        return PortDestination.None;
    }

    /// <summary>
    /// False only when no argument of any call to <paramref name="method"/> (any construction of it, when generic)
    /// can be a destination for <see cref="ClassifyArgument"/>: no <c>port</c> parameter of an endpoint or client,
    /// no <c>value</c> parameter of a byte writer, no parameter marked <c>[NetworkByteOrder]</c> that is or may be 16 bits.
    /// A fact about the definition, meant to be computed once per method and cached.
    /// </summary>
    public static bool MayHaveDestinationParameter(IMethodSymbol method, KnownSymbols symbols)
    {
        if (method.ContainingType is not { } type)
        {
            return false;
        }

        foreach (var parameter in method.Parameters)
        {
            if (parameter.Name == "port" && TakesHostOrderPort(type, symbols))
            {
                return true;
            }

            if (parameter.Name == "value"
                && (KnownSymbols.Is(type, symbols.BinaryPrimitives) || KnownSymbols.Is(type, symbols.BitConverter) || KnownSymbols.Is(type, symbols.MemoryMarshal)
                    || KnownSymbols.Is(type, symbols.Unsafe)))
            {
                return true;
            }

            if (parameter.Name == "val" && method.Name == "WriteInt16" && KnownSymbols.Is(type, symbols.Marshal))
            {
                return true;
            }

            if (MayBe16Bit(parameter.Type) && HasNetworkByteOrderAttribute(parameter))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// False only when no reference to <paramref name="member"/> (a field or property; any construction of it, when its
    /// type is generic) can be a <c>[NetworkByteOrder]</c> destination for <see cref="ClassifyAssignmentTarget"/>.
    /// A fact about the definition, meant to be computed once per member and cached.
    /// </summary>
    public static bool MayBeNetworkOrderMember(ISymbol member)
    {
        var type = member switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            _ => null,
        };

        return MayBe16Bit(type) && HasNetworkByteOrderAttribute(member);
    }

    /// <summary>A 16-bit type, or a type parameter that a construction may substitute with one.</summary>
    private static bool MayBe16Bit(ITypeSymbol? type)
        => Is16Bit(type) || type?.TypeKind == TypeKind.TypeParameter;

    /// <summary>The managed endpoints and clients whose <c>port</c> parameter takes a port in host order.</summary>
    private static bool TakesHostOrderPort(INamedTypeSymbol type, KnownSymbols symbols)
        => KnownSymbols.IsOrDerivesFrom(type, symbols.IPEndPoint)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.DnsEndPoint)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.TcpClient)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.UdpClient)
            || KnownSymbols.IsOrDerivesFrom(type, symbols.Socket)
            || IsNetType(type, "System.Net.Sockets", "TcpListener");

    private static string MethodDisplay(IMethodSymbol method)
        => method.MethodKind == MethodKind.Constructor
            ? method.ContainingType.Name
            : method.ContainingType.Name + "." + method.Name;

    // ---------------------------------------------------------------------------------------------
    // Values

    /// <summary>The value with its conversions (casts, implicit widenings) removed.</summary>
    public static IOperation StripConversions(IOperation operation)
    {
        while (operation is IConversionOperation { Operand: { } operand })
        {
            operation = operand;
        }

        return operation;
    }

    /// <summary>
    /// True when <paramref name="value"/> is evidently a port: a local, parameter, field or property whose name contains
    /// "port", or a read of <c>IPEndPoint.Port</c>.
    /// </summary>
    public static bool IsEvidentlyPort(IOperation value)
    {
        var symbol = StripConversions(value) switch
        {
            ILocalReferenceOperation l => (ISymbol)l.Local,
            IParameterReferenceOperation p => p.Parameter,
            IFieldReferenceOperation f => f.Field,
            IPropertyReferenceOperation p => p.Property,
            _ => null,
        };

        return symbol is not null && NameContainsPort(symbol.Name);
    }

    /// <summary>
    /// True for <c>BinaryPrimitives.Write*/TryWrite*LittleEndian</c>, <c>BitConverter.GetBytes/TryWriteBytes</c>,
    /// <c>MemoryMarshal.Write/TryWrite</c> and <c>Unsafe.WriteUnaligned</c>: the writers whose other values make a method a
    /// little-endian format by design. Not <c>Marshal.WriteInt16</c>: its other values in a <c>sockaddr_in</c> built in
    /// native memory (<c>sin_family</c>) are native order by definition, which says nothing about the port's.
    /// </summary>
    public static bool IsLittleEndianOrNativeWriter(IMethodSymbol method, KnownSymbols symbols)
    {
        var type = method.ContainingType;
        if (KnownSymbols.Is(type, symbols.BinaryPrimitives))
        {
            return (method.Name.StartsWith("Write", StringComparison.Ordinal) || method.Name.StartsWith("TryWrite", StringComparison.Ordinal))
                && method.Name.EndsWith("LittleEndian", StringComparison.Ordinal);
        }

        return (KnownSymbols.Is(type, symbols.BitConverter) && method.Name is "GetBytes" or "TryWriteBytes")
            || (KnownSymbols.Is(type, symbols.MemoryMarshal) && method.Name is "Write" or "TryWrite")
            || (KnownSymbols.Is(type, symbols.Unsafe) && method.Name == "WriteUnaligned");
    }

    /// <summary>
    /// True when the bytes a native-order writer produced are reversed in the same body: <c>var b =
    /// BitConverter.GetBytes(port); if (BitConverter.IsLittleEndian) Array.Reverse(b);</c>, the same with
    /// <c>TryWriteBytes</c>/<c>MemoryMarshal.Write</c> into a buffer whose span is reversed, or
    /// <c>GetBytes(port).Reverse()</c>. The author handled the order: the bytes come out big-endian.
    /// </summary>
    public static bool IsReversedAfterWrite(IInvocationOperation writer, CancellationToken cancellationToken)
    {
        ISymbol? written;
        if (writer.TargetMethod.Name == "GetBytes")
        {
            var result = ResultUsage.SkipConversionsUp(writer);
            switch (result.Parent)
            {
                case IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Reverse" } }:
                case IInvocationOperation { TargetMethod.Name: "Reverse" } reverse when reverse.Instance == result:
                    return true;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    written = declarator.Symbol;
                    break;
                case ISimpleAssignmentOperation assignment when assignment.Value == result:
                    written = BufferViews.GetViewedSymbol(assignment.Target);
                    break;
                default:
                    return false;
            }
        }
        else
        {
            // TryWriteBytes(destination, value), MemoryMarshal.Write(destination, value): the buffer under the span.
            written = null;
            foreach (var argument in writer.Arguments)
            {
                if (argument.Parameter?.Ordinal == 0)
                {
                    written = BufferViews.GetViewedSymbol(argument.Value);
                }
            }
        }

        if (written is null)
        {
            return false;
        }

        foreach (var operation in ResultUsage.GetRoot(writer).Descendants())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (operation is not IInvocationOperation { TargetMethod.Name: "Reverse" } reverse)
            {
                continue;
            }

            // Array.Reverse(b), Array.Reverse(b, 0, 2), b.AsSpan().Reverse(), span.Slice(2, 2).Reverse().
            var reversed = reverse.Instance ?? (reverse.Arguments.Length > 0 ? reverse.Arguments[0].Value : null);
            if (reversed is not null && SymbolEqualityComparer.Default.Equals(BufferViews.GetViewedSymbol(reversed), written))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Classifies the byte order of <paramref name="value"/>.</summary>
    public static ByteOrderValue Classify(IOperation value, KnownSymbols symbols, CancellationToken cancellationToken)
    {
        var context = new Context(symbols, cancellationToken);
        return context.Classify(value, 0);
    }

    private static ByteOrderKind Join(ByteOrderKind a, ByteOrderKind b)
    {
        if (a == ByteOrderKind.Zero)
        {
            return b;
        }

        if (b == ByteOrderKind.Zero)
        {
            return a;
        }

        return a == b ? a : ByteOrderKind.Unknown;
    }

    private static ByteOrderKind Swap(ByteOrderKind input, SwapDirection direction)
        => input switch
        {
            ByteOrderKind.Zero => ByteOrderKind.Zero,
            ByteOrderKind.NetworkOrder => ByteOrderKind.HostOrder,
            ByteOrderKind.HostOrder => direction == SwapDirection.ToHost ? ByteOrderKind.Unknown : ByteOrderKind.NetworkOrder,
            _ => direction == SwapDirection.ToNetwork ? ByteOrderKind.NetworkOrder : ByteOrderKind.Unknown,
        };

    /// <summary>True when <paramref name="invocation"/> swaps the bytes of a 16-bit value (or is named as doing so).</summary>
    private static bool TryGetSwapCall(IInvocationOperation invocation, KnownSymbols symbols, out IOperation? input, out SwapDirection direction)
    {
        input = null;
        direction = SwapDirection.Either;
        var method = invocation.TargetMethod;
        if (invocation.Arguments.Length != 1)
        {
            return false;
        }

        switch (method.Name)
        {
            case "HostToNetworkOrder" when KnownSymbols.Is(method.ContainingType, symbols.IPAddress):
                direction = SwapDirection.ToNetwork;
                break;
            case "NetworkToHostOrder" when KnownSymbols.Is(method.ContainingType, symbols.IPAddress):
                direction = SwapDirection.ToHost;
                break;
            case "ReverseEndianness" when KnownSymbols.Is(method.ContainingType, symbols.BinaryPrimitives):
                if (!Is16Bit(method.ReturnType))
                {
                    return false;
                }

                direction = SwapDirection.Either;
                break;
            default:
                var entryPoint = NativeMethods.GetEntryPoint(method, symbols);
                if (string.Equals(method.Name, NativeMethods.Htons, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(entryPoint, NativeMethods.Htons, StringComparison.Ordinal))
                {
                    direction = SwapDirection.ToNetwork;
                    break;
                }

                if (string.Equals(method.Name, NativeMethods.Ntohs, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(entryPoint, NativeMethods.Ntohs, StringComparison.Ordinal))
                {
                    direction = SwapDirection.ToHost;
                    break;
                }

                return false;
        }

        input = invocation.Arguments[0].Value;
        return input is not null;
    }

    /// <summary>Recognises <c>(p &lt;&lt; 8) | (p &gt;&gt; 8)</c> with optional masks and casts, in either order, with <c>|</c> or <c>+</c>.</summary>
    private static bool TryGetShiftSwap(IBinaryOperation binary, out IOperation? input)
    {
        input = null;
        if (binary.OperatorKind is not (BinaryOperatorKind.Or or BinaryOperatorKind.Add or BinaryOperatorKind.ExclusiveOr))
        {
            return false;
        }

        if (!TryGetShifted(binary.LeftOperand, out var leftSource, out var leftKind)
            || !TryGetShifted(binary.RightOperand, out var rightSource, out var rightKind)
            || leftKind == rightKind
            || !SameValue(leftSource, rightSource))
        {
            return false;
        }

        input = leftSource;
        return true;
    }

    private static bool TryGetShifted(IOperation operation, out IOperation source, out BinaryOperatorKind shiftKind)
    {
        source = operation;
        shiftKind = BinaryOperatorKind.None;
        var current = StripMask(StripConversions(operation));
        if (current is not IBinaryOperation { OperatorKind: BinaryOperatorKind.LeftShift or BinaryOperatorKind.RightShift } shift
            || shift.RightOperand.ConstantValue is not { HasValue: true, Value: int amount }
            || amount != 8)
        {
            return false;
        }

        shiftKind = shift.OperatorKind;
        source = StripMask(StripConversions(shift.LeftOperand));
        source = StripConversions(source);
        return true;
    }

    private static IOperation StripMask(IOperation operation)
    {
        while (operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } and)
        {
            if (and.RightOperand.ConstantValue.HasValue)
            {
                operation = StripConversions(and.LeftOperand);
            }
            else if (and.LeftOperand.ConstantValue.HasValue)
            {
                operation = StripConversions(and.RightOperand);
            }
            else
            {
                break;
            }
        }

        return operation;
    }

    private static bool SameValue(IOperation a, IOperation b)
    {
        ISymbol? Symbol(IOperation o) => o switch
        {
            ILocalReferenceOperation l => l.Local,
            IParameterReferenceOperation p => p.Parameter,
            IFieldReferenceOperation f => f.Field,
            IPropertyReferenceOperation p => p.Property,
            _ => null,
        };

        var sa = Symbol(a);
        return sa is not null
            ? SymbolEqualityComparer.Default.Equals(sa, Symbol(b))
            : a.Syntax.IsEquivalentTo(b.Syntax);
    }

    /// <summary>
    /// True when <paramref name="operation"/> runs only on a big-endian machine, where host order is network order: the
    /// <c>else</c> of <c>if (BitConverter.IsLittleEndian)</c> (or of a <c>?:</c> on it), or the branch of
    /// <c>if (!BitConverter.IsLittleEndian)</c> that the test guards, or a statement after
    /// <c>if (BitConverter.IsLittleEndian) { ...; return; }</c> in the same block.
    /// </summary>
    public static bool IsOnBigEndianPath(IOperation operation, SemanticModel? model)
    {
        for (var node = operation; node.Parent is { } parent; node = parent)
        {
            if (parent is IConditionalOperation conditional
                && node != conditional.Condition
                && IsLittleEndianCheck(conditional.Condition, out var negated)
                && node == (negated ? conditional.WhenTrue : conditional.WhenFalse))
            {
                return true;
            }

            // if (BitConverter.IsLittleEndian) { ...; return; } before it in the same block.
            if (parent is IBlockOperation block)
            {
                foreach (var statement in block.Operations)
                {
                    if (statement == node)
                    {
                        break;
                    }

                    if (statement is IConditionalOperation { WhenFalse: null } earlier
                        && IsLittleEndianCheck(earlier.Condition, out var earlierNegated)
                        && !earlierNegated
                        && FailureChecks.Leaves(earlier.WhenTrue, model))
                    {
                        return true;
                    }
                }
            }

            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation or IMethodBodyBaseOperation)
            {
                return false;
            }
        }

        return false;
    }

    private static bool IsLittleEndianCheck(IOperation condition, out bool negated)
    {
        negated = false;
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            condition = not.Operand;
        }

        // BitConverter.IsLittleEndian itself, a local that holds it (var le = BitConverter.IsLittleEndian;), or a static
        // readonly field initialised with it.
        return ReadsIsLittleEndian(condition)
            || (condition is ILocalReferenceOperation local
                && Definitions.TryGetWithoutPath(local.Local, condition, out var assigned, out var held)
                && assigned
                && ReadsIsLittleEndian(LinearForm.Strip(held)))
            || (condition is IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true, DeclaringSyntaxReferences.Length: 1 } field }
                && field.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax
                {
                    Initializer.Value: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "IsLittleEndian", Expression: var owner },
                }
                && owner.ToString() is "BitConverter" or "System.BitConverter");
    }

    private static bool ReadsIsLittleEndian(IOperation? operation)
        => operation is IFieldReferenceOperation { Field: { Name: "IsLittleEndian", ContainingType.Name: "BitConverter" } }
            or IPropertyReferenceOperation { Property: { Name: "IsLittleEndian", ContainingType.Name: "BitConverter" } };

    private sealed class Context
    {
        private readonly KnownSymbols _symbols;
        private readonly CancellationToken _cancellationToken;
        private List<ISymbol>? _inProgress;

        public Context(KnownSymbols symbols, CancellationToken cancellationToken)
        {
            _symbols = symbols;
            _cancellationToken = cancellationToken;
        }

        public ByteOrderValue Classify(IOperation? value, int depth) => Classify(value, depth, readName: true);

        private ByteOrderValue Classify(IOperation? value, int depth, bool readName)
        {
            if (value is null || value is IInvalidOperation)
            {
                return new ByteOrderValue(ByteOrderKind.Unknown);
            }

            var operation = StripConversions(value);

            // A name that says "already in network order" wins over everything but sockaddr ports.
            var named = operation switch
            {
                ILocalReferenceOperation l => (ISymbol)l.Local,
                IParameterReferenceOperation p => p.Parameter,
                IFieldReferenceOperation f when !IsSockaddrPortField(f.Field) => f.Field,
                IPropertyReferenceOperation p => p.Property,
                _ => null,
            };

            if (named is not null && readName)
            {
                if (HasNetworkByteOrderAttribute(named))
                {
                    return new ByteOrderValue(ByteOrderKind.NetworkOrder);
                }

                if (NameSuggestsNetworkOrder(named.Name))
                {
                    // The name vouches for network order, never against it: a 'wire' or 'netPort' local that holds
                    // HostToNetworkOrder(port) is still network order when it reaches an IPEndPoint.
                    var held = Classify(value, depth, readName: false);
                    return held.Kind == ByteOrderKind.NetworkOrder ? held : new ByteOrderValue(ByteOrderKind.Unknown);
                }
            }

            // A literal, but not a shift-and-or swap written over one ((51820 >> 8) | ((51820 & 0xFF) << 8)): the compiler
            // folds that to a constant too, and it is as much a conversion as the same swap of a variable.
            if (operation.ConstantValue.HasValue && !(operation is IBinaryOperation folded && TryGetShiftSwap(folded, out var foldedInput) && foldedInput is not null))
            {
                return new ByteOrderValue(ClassifyConstant(operation.ConstantValue.Value));
            }

            switch (operation)
            {
                case IInvocationOperation invocation:
                    if (TryGetSwapCall(invocation, _symbols, out var input, out var direction))
                    {
                        return new ByteOrderValue(Swap(Classify(input, depth).Kind, direction), input);
                    }

                    if (ReturnsNetworkByteOrder(invocation.TargetMethod))
                    {
                        // [return: NetworkByteOrder] ushort HostToNetwork(ushort host): a named conversion of its one argument.
                        var converts = invocation.Arguments.Length == 1
                            && invocation.Arguments[0].Parameter is { } parameter
                            && !HasNetworkByteOrderAttribute(parameter);
                        return new ByteOrderValue(ByteOrderKind.NetworkOrder, converts ? invocation.Arguments[0].Value : null);
                    }

                    if (invocation.TargetMethod is { Name: "Parse", ContainingType: { } parseType } && IsIntegral(parseType))
                    {
                        return new ByteOrderValue(ByteOrderKind.HostOrder);
                    }

                    return new ByteOrderValue(ByteOrderKind.Unknown);

                case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                    if (IsLittleEndianCheck(conditional.Condition, out var negated))
                    {
                        var littleEndianBranch = negated ? whenFalse : conditional.WhenTrue;
                        var swap = Classify(littleEndianBranch, depth);
                        if (swap.SwapInput is { } swapped)
                        {
                            // IsLittleEndian ? swap(x) : x is a correct conversion whatever its name says.
                            return new ByteOrderValue(Swap(Classify(swapped, depth).Kind, SwapDirection.Either), swapped);
                        }

                        return new ByteOrderValue(ByteOrderKind.Unknown);
                    }

                    return new ByteOrderValue(Join(Classify(conditional.WhenTrue, depth).Kind, Classify(whenFalse, depth).Kind));

                case IBinaryOperation binary:
                    if (TryGetShiftSwap(binary, out var shifted) && shifted is not null)
                    {
                        return new ByteOrderValue(Swap(Classify(shifted, depth).Kind, SwapDirection.Either), shifted);
                    }

                    if (binary.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract)
                    {
                        var left = Classify(binary.LeftOperand, depth).Kind;
                        var right = Classify(binary.RightOperand, depth).Kind;
                        if (left is ByteOrderKind.HostOrder or ByteOrderKind.Zero
                            && right is ByteOrderKind.HostOrder or ByteOrderKind.Zero
                            && (left == ByteOrderKind.HostOrder || right == ByteOrderKind.HostOrder))
                        {
                            return new ByteOrderValue(ByteOrderKind.HostOrder);
                        }
                    }

                    return new ByteOrderValue(ByteOrderKind.Unknown);

                case IParameterReferenceOperation parameterReference:
                    return new ByteOrderValue(parameterReference.Parameter.RefKind == RefKind.None || parameterReference.Parameter.RefKind == RefKind.In
                        ? ByteOrderKind.HostOrder
                        : ByteOrderKind.Unknown);

                case IFieldReferenceOperation fieldReference:
                    if (IsSockaddrPortField(fieldReference.Field))
                    {
                        return new ByteOrderValue(IsWrittenBigEndian(fieldReference.Field, fieldReference.SemanticModel, _symbols, _cancellationToken)
                            ? ByteOrderKind.HostOrder
                            : ByteOrderKind.NetworkOrder);
                    }

                    return new ByteOrderValue(ClassifyField(fieldReference, depth + 1));

                case IPropertyReferenceOperation propertyReference:
                {
                    var property = propertyReference.Property;
                    if (property.Name == "Port" && KnownSymbols.IsOrDerivesFrom(property.ContainingType, _symbols.IPEndPoint))
                    {
                        return new ByteOrderValue(ByteOrderKind.HostOrder);
                    }

                    // options.Port, uri.Port, NetworkPort.HostOrder.
                    if (NameContainsPort(property.Name) || property.Name.IndexOf("HostOrder", StringComparison.OrdinalIgnoreCase) >= 0)
                    {
                        // Unless the property, declared here, returns or is given a value of another order
                        // (RawPort => _address.sin_port).
                        return new ByteOrderValue(ClassifySourceProperty(propertyReference, depth + 1));
                    }

                    return new ByteOrderValue(ByteOrderKind.Unknown);
                }

                case ILocalReferenceOperation localReference:
                    return new ByteOrderValue(ClassifyLocal(localReference, depth + 1));

                default:
                    return new ByteOrderValue(ByteOrderKind.Unknown);
            }
        }

        /// <summary>
        /// A field is host order unless its own type (in this syntax tree) also stores values of another order
        /// into it: <c>_port = (ushort)IPAddress.HostToNetworkOrder(...)</c> in the constructor makes it unknown.
        /// </summary>
        private ByteOrderKind ClassifyField(IFieldReferenceOperation reference, int depth)
        {
            var field = reference.Field;
            var model = reference.SemanticModel;
            if (model is null || field.DeclaringSyntaxReferences.IsEmpty)
            {
                return ByteOrderKind.HostOrder;
            }

            if (depth > MaxLocalDepth)
            {
                return ByteOrderKind.Unknown;
            }

            if (_inProgress is not null && _inProgress.Contains(field))
            {
                return ByteOrderKind.Zero;
            }

            (_inProgress ??= new List<ISymbol>()).Add(field);
            try
            {
                var result = ByteOrderKind.HostOrder;
                foreach (var declaration in field.DeclaringSyntaxReferences)
                {
                    if (declaration.SyntaxTree != model.SyntaxTree)
                    {
                        continue;
                    }

                    var declarator = declaration.GetSyntax(_cancellationToken);
                    if (declarator is VariableDeclaratorSyntax { Initializer: { } initializer }
                        && model.GetOperation(initializer, _cancellationToken) is IFieldInitializerOperation { Value: { } initialValue })
                    {
                        result = Join(result, Classify(initialValue, depth).Kind);
                    }

                    var type = declarator.FirstAncestorOrSelf<TypeDeclarationSyntax>();
                    if (type is null)
                    {
                        continue;
                    }

                    foreach (var assignment in AssignmentsNaming(type, field.Name))
                    {
                        if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                        {
                            if (!assignment.IsKind(SyntaxKind.AddAssignmentExpression) && !assignment.IsKind(SyntaxKind.SubtractAssignmentExpression))
                            {
                                return ByteOrderKind.Unknown;
                            }

                            continue;
                        }

                        if (model.GetOperation(assignment, _cancellationToken) is ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } store
                            && SymbolEqualityComparer.Default.Equals(target.Field, field))
                        {
                            result = Join(result, Classify(store.Value, depth).Kind);
                            if (result == ByteOrderKind.Unknown)
                            {
                                return ByteOrderKind.Unknown;
                            }
                        }
                    }
                }

                return result;
            }
            finally
            {
                _inProgress.Remove(field);
            }
        }

        /// <summary>
        /// A port property declared in this syntax tree: the join of host order with what its getter returns
        /// (expression-bodied) and what its type stores into it; a block-bodied getter makes it unknown.
        /// </summary>
        private ByteOrderKind ClassifySourceProperty(IPropertyReferenceOperation reference, int depth)
        {
            var property = reference.Property;
            var model = reference.SemanticModel;
            if (model is null || property.DeclaringSyntaxReferences.IsEmpty)
            {
                return ByteOrderKind.HostOrder;
            }

            if (depth > MaxLocalDepth)
            {
                return ByteOrderKind.Unknown;
            }

            if (_inProgress is not null && _inProgress.Contains(property))
            {
                return ByteOrderKind.Zero;
            }

            (_inProgress ??= new List<ISymbol>()).Add(property);
            try
            {
                // Zero until something is known: the name alone says host order.
                var result = ByteOrderKind.Zero;
                foreach (var declaration in property.DeclaringSyntaxReferences)
                {
                    if (declaration.SyntaxTree != model.SyntaxTree
                        || declaration.GetSyntax(_cancellationToken) is not PropertyDeclarationSyntax syntax)
                    {
                        continue;
                    }

                    var returned = syntax.ExpressionBody?.Expression;
                    if (syntax.AccessorList is { } accessors)
                    {
                        foreach (var accessor in accessors.Accessors)
                        {
                            if (accessor.IsKind(SyntaxKind.GetAccessorDeclaration))
                            {
                                if (accessor.Body is not null)
                                {
                                    return ByteOrderKind.Unknown;
                                }

                                returned ??= accessor.ExpressionBody?.Expression;
                            }
                        }
                    }

                    if (returned is not null)
                    {
                        result = Join(result, Classify(model.GetOperation(returned, _cancellationToken), depth).Kind);
                    }

                    if (syntax.Initializer is { } initializer)
                    {
                        result = Join(result, Classify(model.GetOperation(initializer.Value, _cancellationToken), depth).Kind);
                    }

                    if (syntax.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } type)
                    {
                        foreach (var node in type.DescendantNodes())
                        {
                            _cancellationToken.ThrowIfCancellationRequested();
                            if (node is AssignmentExpressionSyntax assignment
                                && NamesField(assignment.Left, property.Name)
                                && model.GetOperation(assignment, _cancellationToken) is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } store
                                && SymbolEqualityComparer.Default.Equals(target.Property.OriginalDefinition, property.OriginalDefinition))
                            {
                                result = Join(result, Classify(store.Value, depth).Kind);
                            }
                        }
                    }

                    if (result == ByteOrderKind.Unknown)
                    {
                        return result;
                    }
                }

                return result == ByteOrderKind.Zero ? ByteOrderKind.HostOrder : result;
            }
            finally
            {
                _inProgress.Remove(property);
            }
        }

        /// <summary>
        /// The assignments in <paramref name="type"/> whose target is spelled <c>name</c> or <c>x.name</c>, in source order:
        /// found where the type's text spells the name, instead of walking every node of the type for every field read.
        /// Text with a Unicode escape (which can spell the name without its letters) is walked.
        /// </summary>
        private IEnumerable<AssignmentExpressionSyntax> AssignmentsNaming(TypeDeclarationSyntax type, string name)
        {
            var text = TreeText.Of(type.SyntaxTree, _cancellationToken);
            if (name.Length == 0 || TextReads.HasUnicodeEscape(text, type.SpanStart, type.Span.End))
            {
                foreach (var node in type.DescendantNodes())
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    if (node is AssignmentExpressionSyntax assignment && NamesField(assignment.Left, name))
                    {
                        yield return assignment;
                    }
                }

                yield break;
            }

            foreach (var position in TextScan.FindIdentifier(text, name, type.Span))
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (type.FindToken(position).Parent is not IdentifierNameSyntax identifier)
                {
                    continue; // a comment, a string, a declaration, a name of another kind
                }

                ExpressionSyntax left = identifier.Parent is MemberAccessExpressionSyntax memberAccess && memberAccess.Name == identifier
                    ? memberAccess
                    : identifier;
                if (left.Parent is AssignmentExpressionSyntax assignment && assignment.Left == left && NamesField(left, name))
                {
                    yield return assignment;
                }
            }
        }

        private static bool NamesField(ExpressionSyntax left, string name)
            => left switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
                MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText == name,
                _ => false,
            };

        private static ByteOrderKind ClassifyConstant(object? constant)
        {
            switch (constant)
            {
                case int i: return i == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                case uint u: return u == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                case short s: return s == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                case ushort us: return us == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                case long l: return l == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                case ulong ul: return ul == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                case byte b: return b == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                case sbyte sb: return sb == 0 ? ByteOrderKind.Zero : ByteOrderKind.HostOrder;
                default: return ByteOrderKind.Unknown;
            }
        }

        /// <summary>
        /// The join of every value the local is given in its method (its initializer, assignments, foreach);
        /// unknown when it is written through a reference, deconstructed or given values of different orders.
        /// </summary>
        private ByteOrderKind ClassifyLocal(ILocalReferenceOperation reference, int depth)
        {
            var local = reference.Local;
            if (depth > MaxLocalDepth || local.IsRef)
            {
                return ByteOrderKind.Unknown;
            }

            if (_inProgress is not null && _inProgress.Contains(local))
            {
                // p = p + 1: the local's own value adds nothing.
                return ByteOrderKind.Zero;
            }

            var root = (IOperation)reference;
            while (root.Parent is { } parent)
            {
                root = parent;
            }

            (_inProgress ??= new List<ISymbol>()).Add(local);
            try
            {
                var result = ByteOrderKind.Zero;
                var writes = 0;
                foreach (var operation in root.Descendants())
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    ByteOrderKind? written = null;
                    switch (operation)
                    {
                        case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                            var initializer = declarator.GetVariableInitializer();
                            if (initializer is not null)
                            {
                                written = Classify(initializer.Value, depth).Kind;
                            }

                            break;
                        case ISimpleAssignmentOperation assignment when IsLocal(assignment.Target, local):
                            if (assignment.IsRef)
                            {
                                written = ByteOrderKind.Unknown;
                                break;
                            }

                            // p = ReverseEndianness(p), perhaps under 'if (BitConverter.IsLittleEndian)': the local holds
                            // one order before the swap and the other after it, so its order depends on where it is read.
                            var value = Classify(assignment.Value, depth);
                            written = value.SwapInput is { } swapped && IsLocal(StripConversions(swapped), local) ? ByteOrderKind.Unknown : value.Kind;
                            break;
                        case ICompoundAssignmentOperation compound when IsLocal(compound.Target, local):
                            if (compound.OperatorKind is not (BinaryOperatorKind.Add or BinaryOperatorKind.Subtract))
                            {
                                written = ByteOrderKind.Unknown;
                            }

                            break;
                        case IArgumentOperation argument when IsLocal(argument.Value, local)
                            && argument.Parameter is { RefKind: RefKind.Out or RefKind.Ref }:
                            written = ByteOrderKind.Unknown;
                            break;
                        case IAddressOfOperation addressOf when IsLocal(addressOf.Reference, local):
                            written = ByteOrderKind.Unknown;
                            break;
                        case IDeclarationExpressionOperation declaration when ContainsLocal(declaration, local):
                            written = ByteOrderKind.Unknown;
                            break;
                        case IDeconstructionAssignmentOperation deconstruction when ContainsLocal(deconstruction.Target, local):
                            written = ByteOrderKind.Unknown;
                            break;
                        case IDeclarationPatternOperation pattern when SymbolEqualityComparer.Default.Equals(pattern.DeclaredSymbol, local):
                            written = ByteOrderKind.Unknown;
                            break;
                        case IForEachLoopOperation loop when DeclaresLocal(loop.Locals, local):
                            written = ByteOrderKind.HostOrder;
                            break;
                    }

                    if (written is { } kind)
                    {
                        writes++;
                        result = Join(result, kind);
                        if (kind == ByteOrderKind.Unknown || result == ByteOrderKind.Unknown)
                        {
                            return ByteOrderKind.Unknown;
                        }
                    }
                }

                return writes == 0 ? ByteOrderKind.Unknown : result;
            }
            finally
            {
                _inProgress.Remove(local);
            }
        }

        private static bool DeclaresLocal(System.Collections.Immutable.ImmutableArray<ILocalSymbol> locals, ILocalSymbol local)
        {
            foreach (var candidate in locals)
            {
                if (SymbolEqualityComparer.Default.Equals(candidate, local))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsLocal(IOperation? operation, ILocalSymbol local)
            => operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);

        private static bool ContainsLocal(IOperation operation, ILocalSymbol local)
        {
            if (IsLocal(operation, local))
            {
                return true;
            }

            foreach (var descendant in operation.Descendants())
            {
                if (IsLocal(descendant, local))
                {
                    return true;
                }
            }

            return false;
        }
    }
}

using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading;
using KernelSafety.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Rules;

/// <summary>
/// KS0003: a host-order port stored where network order is expected (<c>sin_port</c>, <c>[NetworkByteOrder]</c>,
/// a little-endian or native-order write of a port), or a network-order port given to a managed endpoint or client.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PortByteOrderAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: which fix applies (one of the <c>Fix*</c> values).</summary>
    public const string FixProperty = "Fix";

    /// <summary>Diagnostic property: the C# keyword of the destination's type (<c>ushort</c>, <c>short</c>, <c>int</c>...).</summary>
    public const string DestinationTypeProperty = "DestinationType";

    /// <summary>Diagnostic property: for <see cref="FixBigEndianWriter"/>, the big-endian writer's name.</summary>
    public const string WriterProperty = "Writer";

    /// <summary>Convert the port as a 16-bit value: <c>IPAddress.HostToNetworkOrder((short)port)</c> in place of the 32-bit overload.</summary>
    public const string FixNarrowToNetwork = "NarrowToNetwork";

    /// <summary>Convert the 16-bit network-order port as 16 bits: <c>(ushort)IPAddress.NetworkToHostOrder((short)port)</c>.</summary>
    public const string FixNarrowToHost = "NarrowToHost";

    /// <summary>Convert the host-order value with <c>IPAddress.HostToNetworkOrder</c>.</summary>
    public const string FixToNetwork = "ToNetwork";

    /// <summary>Convert the network-order value with <c>IPAddress.NetworkToHostOrder</c>.</summary>
    public const string FixToHost = "ToHost";

    /// <summary>Pass the input of the extra conversion (additional location 1) instead of the conversion.</summary>
    public const string FixRemoveConversion = "RemoveConversion";

    /// <summary>Replace the little-endian writer by its big-endian twin.</summary>
    public const string FixBigEndianWriter = "BigEndianWriter";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.PortByteOrder);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(static start =>
        {
            // System.Net (IPAddress) is checked where a finding is reported, not here: the lookup searches every
            // reference, and code without ports should not pay for it.
            var symbols = KnownSymbols.Get(start.Compilation);

            // One set of per-symbol facts per compilation: every callback rejects by a name test or a cached fact
            // about the member or method, without touching types or attributes again.
            var facts = new MemberFacts(symbols);

            // Only types whose source spells a port destination are looked at (SourceIndex). Stores, and arguments
            // through their call (far fewer callbacks than one per argument): invocations (constructor initializers
            // included) and object creations. Indexer arguments are never destinations (their parameters belong to the
            // property, not to a method), so property references need no callback.
            start.RegisterOperationActionInTypesUsing(
                SourceNames.PortDestinations,
                c =>
                {
                    switch (c.Operation.Kind)
                    {
                        case OperationKind.SimpleAssignment:
                            AnalyzeAssignment(c, symbols, facts);
                            break;
                        case OperationKind.Invocation:
                            AnalyzeInvocation(c, symbols, facts);
                            break;
                        default:
                            AnalyzeObjectCreation(c, symbols, facts);
                            break;
                    }
                },
                AssignmentInvocationAndCreation);
        });
    }

    private static readonly ImmutableArray<OperationKind> AssignmentInvocationAndCreation =
        ImmutableArray.Create(OperationKind.SimpleAssignment, OperationKind.Invocation, OperationKind.ObjectCreation);

    private static void AnalyzeAssignment(OperationAnalysisContext context, KnownSymbols symbols, MemberFacts facts)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;

        // Cheap first: a destination is sin_port/sin6_port, a property named Port, or a member marked [NetworkByteOrder]
        // (a cached fact per member, so no type or attribute is read here).
        switch (assignment.Target)
        {
            case IFieldReferenceOperation { Field: { } field }:
                if (field.Name is not ("sin_port" or "sin6_port") && !facts.MayBeNetworkOrderMember(field))
                {
                    return;
                }

                break;
            case IPropertyReferenceOperation { Property: { } property }:
                if (property.Name != "Port" && !facts.MayBeNetworkOrderMember(property))
                {
                    return;
                }

                break;
            default:
                return;
        }

        if (assignment.IsRef)
        {
            return;
        }

        // A sockaddr port field is no destination when its struct is (de)serialized big-endian explicitly; finding
        // that out walks the whole syntax tree, so it is asked last, only when the value is evidently in host order.
        var destination = ByteOrder.ClassifyAssignmentTarget(assignment.Target, symbols, context.CancellationToken, deferWrittenBigEndian: true);
        if (destination.Kind == PortDestinationKind.None)
        {
            return;
        }

        var sockaddrPort = assignment.Target is IFieldReferenceOperation { Field: { } portField } && ByteOrder.IsSockaddrPortField(portField)
            ? (IFieldReferenceOperation)assignment.Target
            : null;
        Check(context, symbols, destination, assignment.Value, assignment.Syntax, sockaddrPort);
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols symbols, MemberFacts facts)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var arguments = invocation.Arguments;
        if (arguments.IsDefaultOrEmpty || !HasPortLikeParameter(arguments) || !facts.MayHaveDestinationParameter(invocation.TargetMethod))
        {
            return;
        }

        AnalyzeArguments(context, symbols, arguments);
    }

    private static void AnalyzeObjectCreation(OperationAnalysisContext context, KnownSymbols symbols, MemberFacts facts)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        var arguments = creation.Arguments;
        if (arguments.IsDefaultOrEmpty || !HasPortLikeParameter(arguments) || creation.Constructor is not { } constructor
            || !facts.MayHaveDestinationParameter(constructor))
        {
            return;
        }

        AnalyzeArguments(context, symbols, arguments);
    }

    private static void AnalyzeArguments(OperationAnalysisContext context, KnownSymbols symbols, ImmutableArray<IArgumentOperation> arguments)
    {
        foreach (var argument in arguments)
        {
            if (IsPortLike(argument.Parameter))
            {
                AnalyzeArgument(context, symbols, argument);
            }
        }
    }

    /// <summary>The cheap test every call goes through first (before any symbol lookup): some parameter could carry a port.</summary>
    private static bool HasPortLikeParameter(ImmutableArray<IArgumentOperation> arguments)
    {
        foreach (var argument in arguments)
        {
            if (IsPortLike(argument.Parameter))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>No attribute read: a port/value parameter (by name) or a 16-bit one.</summary>
    private static bool IsPortLike(IParameterSymbol? parameter)
        => parameter is not null
           && (parameter.Type.SpecialType is SpecialType.System_Int16 or SpecialType.System_UInt16
               || (parameter.Name.Length is 4 or 5 && parameter.Name[0] is 'p' or 'v'));

    private static void AnalyzeArgument(OperationAnalysisContext context, KnownSymbols symbols, IArgumentOperation argument)
    {
        if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is null || argument.Value is null)
        {
            return;
        }

        // Cheap first: only parameters named port/value (val: Marshal.WriteInt16) or carrying attributes can be destinations.
        var parameter = argument.Parameter;
        if (parameter.Name is not ("port" or "value" or "val")
            && (parameter.Type.SpecialType is not (SpecialType.System_Int16 or SpecialType.System_UInt16) || parameter.GetAttributes().IsEmpty))
        {
            return;
        }

        var destination = ByteOrder.ClassifyArgument(argument, symbols);
        if (destination.Kind == PortDestinationKind.None)
        {
            CheckWideGetBytes(context, symbols, argument);
            return;
        }

        // A port written through the 32-bit conversion (Marshal.WriteInt16(sa, 2, (short)IPAddress.HostToNetworkOrder(port)))
        // is evidently a port when what it converts is.
        if (destination.Kind is PortDestinationKind.LittleEndianWriter or PortDestinationKind.NativeWriter
            && (!(ByteOrder.IsEvidentlyPort(argument.Value) || (WideSwapInput(argument.Value, destination, symbols, context.CancellationToken) is { } wide && ByteOrder.IsEvidentlyPort(wide.Input)))
                || WritesOtherValuesInTheSameOrder(argument, symbols, context)
                || (destination.Kind == PortDestinationKind.NativeWriter && argument.Parent is IInvocationOperation writer
                    && ByteOrder.IsReversedAfterWrite(writer, context.CancellationToken))))
        {
            return;
        }

        Check(context, symbols, destination, argument.Value, argument.Syntax);
    }

    /// <summary>
    /// <c>BitConverter.GetBytes</c> of a 32- or 64-bit byte-order conversion of a port, of which only the first two bytes
    /// are used (<c>Buffer.BlockCopy(BitConverter.GetBytes(IPAddress.HostToNetworkOrder(port)), 0, reply, 8, 2)</c>, a
    /// SOCKS5 reply's <c>BND.PORT</c>): the conversion puts the port in the last two of its four bytes, so the two taken
    /// are 0 on every machine. Taking the last two (offset 2) is right and not flagged.
    /// </summary>
    private static void CheckWideGetBytes(OperationAnalysisContext context, KnownSymbols symbols, IArgumentOperation argument)
    {
        if (argument.Parent is not IInvocationOperation { TargetMethod: { Name: "GetBytes", Parameters.Length: 1 } method } getBytes
            || method.Parameters[0].Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64)
            || !KnownSymbols.Is(method.ContainingType, symbols.BitConverter)
            || context.Compilation.GetSpecialType(SpecialType.System_Int16) is not { TypeKind: not TypeKind.Error } int16)
        {
            return;
        }

        var destination = new PortDestination(PortDestinationKind.NativeWriter, int16, "the first two bytes of 'BitConverter.GetBytes'", method);
        if (WideSwapInput(argument.Value, destination, symbols, context.CancellationToken, eitherDirection: true) is not { } wide
            || !ByteOrder.IsEvidentlyPort(wide.Input)
            || !OnlyFirstTwoBytesUsed(getBytes, symbols, context.CancellationToken))
        {
            return;
        }

        // NetworkToHostOrder builds the wire order only from a port in host order: one of a value read off the wire
        // (int raw = BitConverter.ToInt32(wire, 4)) goes the other way, to the host's own order.
        if (wide.Swap.Name == "NetworkToHostOrder" && ByteOrder.Classify(wide.Input, symbols, context.CancellationToken).Kind != ByteOrderKind.HostOrder)
        {
            return;
        }

        ReportWideSwap(context, destination, "short", argument.Value, wide, argument.Syntax);
    }

    /// <summary>
    /// True when the bytes <paramref name="getBytes"/> returns are used only for their first two: copied with
    /// <c>Buffer.BlockCopy</c>/<c>Array.Copy</c> from offset 0 with a count of 2, directly or from the local they are
    /// kept in, or read as <c>b[0]</c> and <c>b[1]</c>. Any other use (a stream write of all four, an offset of 2, the
    /// array passed on) is not a port's two bytes.
    /// </summary>
    private static bool OnlyFirstTwoBytesUsed(IInvocationOperation getBytes, KnownSymbols symbols, CancellationToken cancellationToken)
    {
        // Buffer.BlockCopy and Array.Copy take an Array: the byte[] reaches the argument through an implicit conversion.
        switch (getBytes.Parent is IConversionOperation { IsImplicit: true } toArray ? toArray.Parent : getBytes.Parent)
        {
            case IArgumentOperation copied:
                return IsCopyOfFirstTwo(copied, symbols);
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol: { RefKind: RefKind.None } local } } initializer:
                IOperation root = initializer;
                while (root.Parent is { } parent)
                {
                    root = parent;
                }

                var uses = 0;
                foreach (var reference in BodyReferences.Of(root).OfLocal(local))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var firstTwo = (reference.Parent is IConversionOperation { IsImplicit: true } conversion ? conversion.Parent : reference.Parent) switch
                    {
                        IArgumentOperation argument => IsCopyOfFirstTwo(argument, symbols),
                        IArrayElementReferenceOperation { Indices.Length: 1 } element
                            => LinearForm.TryGetInteger(element.Indices[0], out var index) && index is 0 or 1 && !ResultUsage.IsWrite(element)
                                && element.Parent is not IIncrementOrDecrementOperation,
                        _ => false,
                    };
                    if (!firstTwo)
                    {
                        return false;
                    }

                    uses++;
                }

                return uses > 0;
            default:
                return false;
        }
    }

    /// <summary>
    /// Where a copy, write or send takes two bytes of the array from its start: the source of a copy site
    /// (<see cref="CopyApi"/>: <c>Buffer.BlockCopy(b, 0, dst, at, 2)</c>, <c>Array.Copy(b, dst, 2)</c>), the buffer of a
    /// write or send given offset 0 and a count of 2 (<c>stream.Write(b, 0, 2)</c>, <c>socket.Send(b, 0, 2, flags)</c>),
    /// or the array of a view of its first two (<c>b.AsSpan(0, 2)</c>).
    /// </summary>
    private static bool IsCopyOfFirstTwo(IArgumentOperation argument, KnownSymbols symbols)
    {
        if (argument.Parent is not IInvocationOperation call)
        {
            return false;
        }

        if (CopyApi.MayBeCopy(call.TargetMethod) && CopyApi.TryGet(call, symbols) is { } site)
        {
            return site.Source.Buffer is { } source && source.Syntax.Span.Contains(argument.Value.Syntax.Span)
                && site.Source.StartsAtZero && LinearForm.TryGetInteger(site.Count, out var copied) && copied == 2;
        }

        if (argument.Parameter is not ({ Name: "buffer" } or { Name: "array", Ordinal: 0 }) || (argument.Parameter.Name == "array" && call.TargetMethod.Name is not ("AsSpan" or "AsMemory")))
        {
            return false;
        }

        long? from = null;
        long? size = null;
        foreach (var other in call.Arguments)
        {
            if (other.Parameter?.Name is "offset" or "start" or "count" or "size" or "length" && LinearForm.TryGetInteger(other.Value, out var value))
            {
                if (other.Parameter.Name is "offset" or "start")
                {
                    from = value;
                }
                else
                {
                    size = value;
                }
            }
        }

        return from == 0 && size == 2;
    }

    /// <param name="sockaddrPort">
    /// For a store into <c>sin_port</c>/<c>sin6_port</c>: the field, still to be checked with
    /// <see cref="ByteOrder.IsWrittenBigEndian"/> once the value's order says it would be reported.
    /// </param>
    private static void Check(OperationAnalysisContext context, KnownSymbols symbols, PortDestination destination, IOperation value, SyntaxNode reportOn, IFieldReferenceOperation? sockaddrPort = null)
    {
        if (value is IInvalidOperation || value.Type is null || value.Type.TypeKind == TypeKind.Error)
        {
            return;
        }

        var destinationType = Keyword(destination.Type);
        if (destinationType is null)
        {
            return;
        }

        if (WideSwapInput(value, destination, symbols, context.CancellationToken) is { } wideSwap)
        {
            ReportWideSwap(context, destination, destinationType, value, wideSwap, reportOn);
            return;
        }

        var order = ByteOrder.Classify(value, symbols, context.CancellationToken);
        var mismatch = destination.ExpectsNetworkOrder
            ? order.Kind == ByteOrderKind.HostOrder && order.SwapInput is null // a direct swap shows the author thought about the order
            : order.Kind == ByteOrderKind.NetworkOrder;
        if (!mismatch
            || (destination.Kind is PortDestinationKind.NetworkField or PortDestinationKind.NativeWriter && ByteOrder.IsOnBigEndianPath(value, value.SemanticModel))
            || (sockaddrPort is not null && ByteOrder.IsWrittenBigEndian(sockaddrPort.Field, sockaddrPort.SemanticModel, symbols, context.CancellationToken)))
        {
            return;
        }

        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        properties[DestinationTypeProperty] = destinationType;

        var valueSyntax = WrittenSyntax(reportOn, value);
        var additional = ImmutableArray.Create(valueSyntax.GetLocation());
        string valueOrder;
        string destinationOrder;
        string advice;

        if (destination.ExpectsNetworkOrder)
        {
            valueOrder = "host";
            destinationOrder = "network";
            if (destination.Kind == PortDestinationKind.LittleEndianWriter && destination.Writer is { } writer)
            {
                var bigEndian = writer.Name.Replace("LittleEndian", "BigEndian");
                properties[FixProperty] = FixBigEndianWriter;
                properties[WriterProperty] = bigEndian;
                advice = "write it with 'BinaryPrimitives." + bigEndian + "'";
            }
            else
            {
                properties[FixProperty] = FixToNetwork;
                advice = "convert it with 'IPAddress.HostToNetworkOrder' where it enters the destination";
            }
        }
        else
        {
            valueOrder = "network";
            destinationOrder = "host";
            if (order.SwapInput is { } input)
            {
                var replacement = StripWideningSafeCasts(input, destination.Type!, context.Compilation);
                properties[FixProperty] = FixRemoveConversion;
                additional = additional.Add(replacement.Syntax.GetLocation());
                advice = "remove the conversion and pass the port in host byte order";
            }
            else
            {
                properties[FixProperty] = FixToHost;
                advice = "convert it with 'IPAddress.NetworkToHostOrder' where it enters the destination";
            }
        }

        if (symbols.IPAddress is null)
        {
            // The fixes and the managed endpoints need System.Net; without it there is nothing to compare with.
            return;
        }

        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.PortByteOrder,
            reportOn.GetLocation(),
            additional,
            properties.ToImmutable(),
            Shorten(valueSyntax.ToString()),
            valueOrder,
            destination.Display,
            destinationOrder,
            advice));
    }

    /// <summary>The written expression as a whole: IOperation drops checked(...)/unchecked(...) around a cast.</summary>
    private static SyntaxNode WrittenSyntax(SyntaxNode reportOn, IOperation value)
        => reportOn switch
        {
            AssignmentExpressionSyntax assignment => assignment.Right,
            ArgumentSyntax argument => argument.Expression,
            _ => value.Syntax,
        };

    /// <summary>
    /// The value swapped by an <c>IPAddress.HostToNetworkOrder</c>/<c>NetworkToHostOrder</c> of the wrong width for a
    /// port: the 32- or 64-bit overload stored into a 16-bit network-order field
    /// (<c>sa.sin_port = (ushort)IPAddress.HostToNetworkOrder(port)</c> with an <c>int port</c>, which stores 0), or
    /// applied to a 16-bit network-order value widened to <c>int</c> and passed to a host-order destination
    /// (<c>new IPEndPoint(ip, IPAddress.NetworkToHostOrder(sa.sin_port))</c>, which is not the port), directly or through
    /// the one definition of a local (<c>var net = (ushort)IPAddress.HostToNetworkOrder(port); sa.sin_port = net;</c>).
    /// Null otherwise.
    /// </summary>
    /// <param name="eitherDirection">
    /// Take <c>NetworkToHostOrder</c> for a network-order destination too (the same swap): for bytes written from it,
    /// where either name is used to make the wire order.
    /// </param>
    private static (IOperation Input, IMethodSymbol Swap)? WideSwapInput(IOperation value, PortDestination destination, KnownSymbols symbols, CancellationToken cancellationToken, bool eitherDirection = false)
    {
        var swapped = ByteOrder.StripConversions(value);
        if (swapped is ILocalReferenceOperation { Local: var local } reference
            && InitializerSpellsConversion(local, cancellationToken)
            && BufferSizes.TryGetDefinition(local, reference, cancellationToken, out var definition)
            && definition is not null)
        {
            swapped = ByteOrder.StripConversions(definition);
        }

        if (swapped is not IInvocationOperation { TargetMethod: { Name: "HostToNetworkOrder" or "NetworkToHostOrder", Parameters.Length: 1 } method } swap
            || !KnownSymbols.Is(method.ContainingType, symbols.IPAddress)
            || method.Parameters[0].Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64)
            || swap.Arguments.Length != 1)
        {
            return null;
        }

        // Only a plain value (a variable, a member, a constant) is taken for the port: HostToNetworkOrder(port << 16)
        // moves a port into the high half on purpose, and converting its argument as 16 bits would lose it.
        var input = swap.Arguments[0].Value;
        if (!IsPlainValue(input))
        {
            return null;
        }

        if (destination.ExpectsNetworkOrder)
        {
            // A field, or a native-order writer of 16 bits (Marshal.WriteInt16(sa, 2, (short)IPAddress.HostToNetworkOrder(port))).
            return (method.Name == "HostToNetworkOrder" || eitherDirection)
                && destination.Kind is PortDestinationKind.NetworkField or PortDestinationKind.NativeWriter
                && ByteOrder.Is16Bit(destination.Type)
                    ? (input, method)
                    : null;
        }

        // The argument as written, before its widening to the overload's type (implicit, or an (int) cast).
        return method.Name == "NetworkToHostOrder" && input is IConversionOperation { Operand.Type: var written } && ByteOrder.Is16Bit(written)
            ? (input, method)
            : null;
    }

    /// <summary>
    /// Cheap first, before a local's definition is looked up for every port store of a local: its declaration's
    /// initializer spells a byte-order conversion.
    /// </summary>
    private static bool InitializerSpellsConversion(ILocalSymbol local, CancellationToken cancellationToken)
    {
        foreach (var reference in local.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: var initial })
            {
                foreach (var node in initial.DescendantNodesAndSelf())
                {
                    if (node is IdentifierNameSyntax { Identifier.ValueText: "HostToNetworkOrder" or "NetworkToHostOrder" })
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool IsPlainValue(IOperation value)
        => ByteOrder.StripConversions(value) is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation
            or IPropertyReferenceOperation or ILiteralOperation;

    private static void ReportWideSwap(OperationAnalysisContext context, PortDestination destination, string destinationType, IOperation value, (IOperation Input, IMethodSymbol Swap) wide, SyntaxNode reportOn)
    {
        var valueSyntax = WrittenSyntax(reportOn, value);
        var toNetwork = destination.ExpectsNetworkOrder;
        var width = wide.Swap.Parameters[0].Type.SpecialType == SpecialType.System_Int64 ? "64-bit" : "32-bit";
        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        properties[DestinationTypeProperty] = toNetwork ? destinationType : "ushort";
        if (valueSyntax.Span.Contains(wide.Input.Syntax.Span))
        {
            // The conversion is written here; one made into a local earlier is left for the author to change there.
            properties[FixProperty] = toNetwork ? FixNarrowToNetwork : FixNarrowToHost;
        }

        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.PortByteOrder,
            reportOn.GetLocation(),
            ImmutableArray.Create(valueSyntax.GetLocation(), wide.Input.Syntax.GetLocation()),
            properties.ToImmutable(),
            Shorten(valueSyntax.ToString()),
            width + (toNetwork ? " network" : " host"),
            destination.Display,
            toNetwork ? "16-bit network" : "host",
            toNetwork
                ? "the conversion swaps all of its bytes, so the port is not in the low 16 bits; convert a 16-bit value: 'IPAddress.HostToNetworkOrder((short)port)'"
                : "the 16-bit port is widened before the swap, so the result is not the port; convert it as 16 bits: '(ushort)IPAddress.NetworkToHostOrder((short)port)'"));
    }

    /// <summary>
    /// Drops casts from the swapped value as long as what is under them converts implicitly to the destination:
    /// <c>HostToNetworkOrder((short)port)</c> with an int <c>port</c> gives <c>port</c>, not <c>(short)port</c>.
    /// </summary>
    private static IOperation StripWideningSafeCasts(IOperation input, ITypeSymbol destinationType, Compilation compilation)
    {
        var current = input;
        while (current is IConversionOperation { Operand: { Type: { } operandType } operand }
            && operandType.SpecialType is >= SpecialType.System_SByte and <= SpecialType.System_UInt64
            && compilation.ClassifyCommonConversion(operandType, destinationType).IsImplicit)
        {
            current = operand;
        }

        return current.Type is { } type && compilation.ClassifyCommonConversion(type, destinationType).IsImplicit
            ? current
            : input;
    }

    /// <summary>
    /// True when the method also writes values that are not ports with little-endian or native-order writers:
    /// then the format is little-endian (or native) by design and the port follows it.
    /// </summary>
    private static bool WritesOtherValuesInTheSameOrder(IArgumentOperation port, KnownSymbols symbols, OperationAnalysisContext context)
    {
        var root = (IOperation)port;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        foreach (var operation in root.Descendants())
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (operation is not IInvocationOperation invocation
                || ReferenceEquals(invocation, port.Parent)
                || !ByteOrder.IsLittleEndianOrNativeWriter(invocation.TargetMethod, symbols))
            {
                continue;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name == "value" && argument.Value is { } value && !ByteOrder.IsEvidentlyPort(value))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Per-compilation facts about the members and methods the callbacks meet, computed once per definition:
    /// which fields and properties may be <c>[NetworkByteOrder]</c> destinations, which methods may take a port
    /// argument in some order. Lookups allocate nothing; a miss computes and stores the fact.
    /// </summary>
    private sealed class MemberFacts
    {
        private readonly KnownSymbols _symbols;
        private readonly ConcurrentDictionary<ISymbol, bool> _networkOrderMembers = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _destinationMethods = new(SymbolEqualityComparer.Default);

        public MemberFacts(KnownSymbols symbols)
        {
            _symbols = symbols;
        }

        public bool MayBeNetworkOrderMember(ISymbol member)
        {
            var definition = member.OriginalDefinition;
            if (_networkOrderMembers.TryGetValue(definition, out var known))
            {
                return known;
            }

            known = ByteOrder.MayBeNetworkOrderMember(definition);
            _networkOrderMembers.TryAdd(definition, known);
            return known;
        }

        public bool MayHaveDestinationParameter(IMethodSymbol method)
        {
            var definition = method.OriginalDefinition;
            if (_destinationMethods.TryGetValue(definition, out var known))
            {
                return known;
            }

            known = ByteOrder.MayHaveDestinationParameter(definition, _symbols);
            _destinationMethods.TryAdd(definition, known);
            return known;
        }
    }

    private static string? Keyword(ITypeSymbol? type)
        => type?.SpecialType switch
        {
            SpecialType.System_Int16 => "short",
            SpecialType.System_UInt16 => "ushort",
            SpecialType.System_Int32 => "int",
            SpecialType.System_UInt32 => "uint",
            SpecialType.System_Int64 => "long",
            SpecialType.System_UInt64 => "ulong",
            _ => null,
        };

    private static string Shorten(string text)
        => text.Length <= 60 ? text : text.Substring(0, 57) + "...";
}

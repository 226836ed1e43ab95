using System.Collections.Immutable;
using KernelSafety.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Rules;

/// <summary>
/// KS0004: a send, write or decode that uses a constant count or the whole buffer while the same method
/// knows that only the first n bytes are valid (the listing's <c>sock_sendmsg(soc, &amp;msgh, 80)</c> after
/// copying <c>len</c> bytes). Reported on the send invocation.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FixedSizeSendAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: which rewrite the fix applies (see the Fix* constants).</summary>
    public const string FixKindProperty = "FixKind";

    /// <summary>Diagnostic property: the valid length as C# source.</summary>
    public const string ValidLengthProperty = "ValidLength";

    /// <summary>Diagnostic property: "true" when an expanded Socket call needs a <c>SocketFlags.None</c> argument.</summary>
    public const string AddSocketFlagsProperty = "AddSocketFlags";

    /// <summary>Replace the count (additional location 0) by the valid length.</summary>
    public const string FixCount = "Count";

    /// <summary>Replace the buffer argument (additional location 0) by <c>buf.AsSpan(0, n)</c> (buf at additional location 1).</summary>
    public const string FixSpan = "Span";

    /// <summary>Replace the buffer argument by <c>buf.AsMemory(0, n)</c>.</summary>
    public const string FixMemory = "Memory";

    /// <summary>Replace the buffer argument by <c>new ArraySegment&lt;byte&gt;(buf, 0, n)</c>.</summary>
    public const string FixSegment = "Segment";

    /// <summary>Insert <c>0, n</c> after the whole-array argument (<c>Send(buf)</c> to <c>Send(buf, 0, n, SocketFlags.None)</c>, <c>GetString(buf)</c> to <c>GetString(buf, 0, n)</c>).</summary>
    public const string FixExpand = "Expand";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.FixedSizeSend);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            // Only types whose source spells a send, write or decode are looked at (SourceIndex); the socket, stream and
            // interop types are resolved on first use (KnownSymbols).
            var symbols = KnownSymbols.Get(start.Compilation);
            start.RegisterOperationActionInTypesUsing(SourceNames.SendsWritesAndDecodes, context => AnalyzeInvocation(context, symbols), InvocationKind);
        });
    }

    private static readonly ImmutableArray<OperationKind> InvocationKind = ImmutableArray.Create(OperationKind.Invocation);

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols symbols)
    {
        var invocation = (IInvocationOperation)context.Operation;

        // Cheapest first, without touching the method symbol: every send, write or decode passes the buffer.
        if (invocation.Arguments.IsDefaultOrEmpty)
        {
            return;
        }

        var method = invocation.TargetMethod;

        // Then by name: managed send names; any other name can only be a P/Invoke'd send/sendto/write,
        // a static extern (DllImport) or partial (LibraryImport) method, taking (fd, byte[]/pointer buf, count, ...).
        switch (method.Name)
        {
            case "Send" or "SendAsync" or "SendTo" or "SendToAsync" or "BeginSend" or "Write" or "WriteAsync" or "GetString":
                break;
            default:
                if (!NativeMethods.MayBePInvoke(method)
                    || !(method.Parameters.Length >= 3 && method.Parameters[1].Type is IArrayTypeSymbol or IPointerTypeSymbol))
                {
                    return;
                }

                break;
        }

        var isDecode = method.Name == "GetString" && KnownSymbols.IsOrDerivesFrom(method.ContainingType, symbols.Encoding);
        var kind = isDecode ? SendKind.None : SocketApi.GetSendKind(method, symbols);
        if (!isDecode && kind == SendKind.None)
        {
            return;
        }

        IArgumentOperation? data;
        IArgumentOperation? offset = null;
        IArgumentOperation? count;
        if (kind == SendKind.Native)
        {
            data = FindByOrdinal(invocation, 1);
            count = FindByOrdinal(invocation, 2);
            if (count is null)
            {
                return;
            }
        }
        else
        {
            data = FindByOrdinal(invocation, 0);
            if (data?.Parameter is not { } dataParameter || !IsByteBufferType(dataParameter.Type, symbols))
            {
                return;
            }

            count = null;
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not { Type.SpecialType: SpecialType.System_Int32 } parameter)
                {
                    continue;
                }

                switch (parameter.Name)
                {
                    case "offset" or "index":
                        offset = argument;
                        break;
                    case "size" or "count" or "bytes":
                        count = argument;
                        break;
                }
            }
        }

        if (data is null
            || !(BufferViews.TryGetView(data.Value, symbols, out var view)
                 || (kind == SendKind.Native && BufferViews.TryGetPinnedView(data.Value, symbols, out view)))
            || !view.StartsAtZero
            || (offset is not null && !BufferViews.IsConstantZero(offset.Value))
            || (count is not null && view.Length is not null))
        {
            return;
        }

        // What is sent: a constant count or the whole buffer, while fewer bytes are valid.
        var countExpression = count?.Value ?? view.Length;
        if (!ValidLength.TryGetShorterValidLength(invocation, view.Symbol, countExpression, symbols, context.CancellationToken, out var fact) || fact is null)
        {
            return;
        }

        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        properties[ValidLengthProperty] = fact.Text;
        Location target;
        if (countExpression is not null)
        {
            properties[FixKindProperty] = FixCount;
            target = countExpression.Syntax.GetLocation();
        }
        else
        {
            target = data.Value.Syntax.GetLocation();
            var fixKind = view.Wrapper switch
            {
                BufferViewWrapper.Span => FixSpan,
                BufferViewWrapper.Memory => FixMemory,
                BufferViewWrapper.Segment => FixSegment,
                _ => GetWholeArrayFix(data.Parameter!.Type, kind, isDecode, symbols),
            };
            if (fixKind is not null)
            {
                properties[FixKindProperty] = fixKind;
            }

            if (fixKind == FixExpand && kind == SendKind.Socket && !HasSocketFlagsArgument(invocation, symbols))
            {
                properties[AddSocketFlagsProperty] = "true";
            }
        }

        var sent = countExpression is null
            ? view.Reference.Syntax.ToString() + ".Length"
            : countExpression.Syntax.ToString();

        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.FixedSizeSend,
            invocation.Syntax.GetLocation(),
            additionalLocations: new[] { target, view.Reference.Syntax.GetLocation() },
            properties: properties.ToImmutable(),
            GetApiName(method, kind, symbols),
            sent,
            fact.Text));
    }

    private static IArgumentOperation? FindByOrdinal(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument;
            }
        }

        return null;
    }

    private static bool IsByteBufferType(ITypeSymbol type, KnownSymbols symbols)
    {
        if (BufferViews.IsByteArray(type))
        {
            return true;
        }

        return type is INamedTypeSymbol { Arity: 1 } named
               && named.TypeArguments[0].SpecialType == SpecialType.System_Byte
               && (KnownSymbols.Is(named, symbols.Span) || KnownSymbols.Is(named, symbols.ReadOnlySpan)
                   || KnownSymbols.Is(named, symbols.Memory) || KnownSymbols.Is(named, symbols.ReadOnlyMemory)
                   || (named.Name == "ArraySegment" && named.ContainingNamespace?.ToDisplayString() == "System"));
    }

    /// <summary>How to narrow an array passed whole, by the type of the parameter it binds to.</summary>
    private static string? GetWholeArrayFix(ITypeSymbol parameterType, SendKind kind, bool isDecode, KnownSymbols symbols)
    {
        if (BufferViews.IsByteArray(parameterType))
        {
            // Socket.Send/SendTo and Encoding.GetString have (byte[], int offset, int count, ...) overloads.
            return kind == SendKind.Socket || isDecode ? FixExpand : null;
        }

        if (KnownSymbols.Is(parameterType, symbols.Span) || KnownSymbols.Is(parameterType, symbols.ReadOnlySpan))
        {
            return FixSpan;
        }

        if (KnownSymbols.Is(parameterType, symbols.Memory) || KnownSymbols.Is(parameterType, symbols.ReadOnlyMemory))
        {
            return FixMemory;
        }

        return parameterType.Name == "ArraySegment" ? FixSegment : null;
    }

    private static bool HasSocketFlagsArgument(IInvocationOperation invocation, KnownSymbols symbols)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (KnownSymbols.Is(argument.Parameter?.Type, symbols.SocketFlags))
            {
                return true;
            }
        }

        return false;
    }

    private static string GetApiName(IMethodSymbol method, SendKind kind, KnownSymbols symbols)
        => kind == SendKind.Native
            ? NativeMethods.GetEntryPoint(method, symbols) ?? method.Name
            : method.ContainingType.Name + "." + method.Name;
}

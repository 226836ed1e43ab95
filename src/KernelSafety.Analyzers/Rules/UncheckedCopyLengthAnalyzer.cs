using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using KernelSafety.Analyzers.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace KernelSafety.Analyzers.Rules;

/// <summary>
/// KS0001: a copy whose element count can exceed what the source holds or the destination can take.
/// Flags, on the copy invocation:
/// <list type="bullet">
/// <item>a caller-supplied count (parameter, field, the length of one) or offset into, or out of, a buffer of
/// fixed size (constant-size array, <c>stackalloc</c>, fixed buffer) that no guard bounds by that size;</item>
/// <item>a constant count that does not fit a buffer of constant size;</item>
/// <item>a constant count read from a caller's buffer whose length (or the method's length parameter) is never
/// compared with it: the listing's <c>copy_from_user(msg, buff, 80)</c>, and the same read from the caller's offset
/// (<c>Buffer.BlockCopy(buffer, offset, nonce, 0, 12)</c> in <c>Write(buffer, offset, count)</c>);</item>
/// <item>a destination made for the data written from an offset it leaves no room for (<c>Array.CopyTo</c>'s whole
/// source at an index included);</item>
/// <item>a count out of a buffer of fixed size that is a field of another object the method filled from that buffer
/// (<c>packet.Head = *(Head*)p</c> over <c>recvBuffer</c>, then <c>packet.Head.length</c> copied out of it) and never compared;</item>
/// <item><c>src.Length</c> copied from (or into <c>dst.Length</c> at) a non-zero offset;</item>
/// <item><c>Buffer.MemoryCopy</c> whose <c>destinationSizeInBytes</c> is not bounded by the destination's real size;</item>
/// <item>a count of bytes <c>n</c> into (or out of) an array of S-byte elements made with <c>n / S</c> of them, which
/// holds fewer bytes when n is not a multiple of S (<c>new short[pcmBytes.Length / 2]</c> given <c>pcmBytes.Length</c> bytes).</item>
/// </list>
/// Guards come from <see cref="GuardAnalysis"/>, sizes from <see cref="BufferSizes"/>, copy calls from <see cref="CopyApi"/>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UncheckedCopyLengthAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the expression that replaces the count (additional location 0) in the clamp fix.</summary>
    public const string ClampProperty = "Clamp";

    /// <summary>Diagnostic property: the expression that replaces <c>destinationSizeInBytes</c> (additional location 1) in the clamp fix.</summary>
    public const string DestinationSizeProperty = "DestinationSize";

    /// <summary>Diagnostic property: the condition under which the guard fix throws.</summary>
    public const string GuardConditionProperty = "GuardCondition";

    /// <summary>Diagnostic property: the parameter (or value) the guard's exception names.</summary>
    public const string GuardSubjectProperty = "GuardSubject";

    /// <summary>Diagnostic property: "true" when <see cref="GuardSubjectProperty"/> is a parameter or local (use <c>nameof</c>).</summary>
    public const string GuardSubjectIsNameProperty = "GuardSubjectIsName";

    /// <summary>Diagnostic property: the guard exception's message.</summary>
    public const string GuardMessageProperty = "GuardMessage";

    private static readonly string[] LengthNames = ["len", "length", "count", "size", "n", "nbytes", "bytes", "cb"];

    /// <summary>Words that, before a length suffix, say whose length it is: <c>dataLength</c>, <c>byteCount</c>, <c>maxLen</c>.</summary>
    private static readonly string[] BufferWords =
    [
        "buf", "buff", "buffer", "data", "msg", "message", "payload", "packet", "frame", "byte", "bytes", "src", "source",
        "dst", "dest", "destination", "input", "output", "in", "out", "max", "total", "valid", "used", "actual", "user",
    ];

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UncheckedCopyLength);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            // Only types whose source spells a copy call are looked at (SourceIndex); Buffer, Array and the others are
            // resolved on first use (KnownSymbols).
            var symbols = KnownSymbols.Get(start.Compilation);
            start.RegisterOperationActionInTypesUsing(SourceNames.Copies, c => AnalyzeInvocation(c, symbols), InvocationKind);
        });
    }

    private static readonly ImmutableArray<OperationKind> InvocationKind = ImmutableArray.Create(OperationKind.Invocation);

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols symbols)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!CopyApi.MayBeCopy(invocation.TargetMethod) || invocation.Syntax.ContainsDiagnostics)
        {
            return;
        }

        var site = CopyApi.TryGet(invocation, symbols);
        if (site is null)
        {
            return;
        }

        var finding = Evaluation.Run(site, context.ContainingSymbol as IMethodSymbol, context.CancellationToken);
        if (finding is null)
        {
            return;
        }

        var additionalLocations = new List<Location>(2);
        if (site.Count is not null)
        {
            additionalLocations.Add(site.Count.Syntax.GetLocation());
            if (finding.DestinationSize is not null && site.DestinationSizeArgument is not null)
            {
                additionalLocations.Add(site.DestinationSizeArgument.Value.Syntax.GetLocation());
            }
        }

        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        if (finding.Clamp is not null && site.Count is not null)
        {
            properties[ClampProperty] = finding.Clamp;
            if (finding.DestinationSize is not null && additionalLocations.Count == 2)
            {
                properties[DestinationSizeProperty] = finding.DestinationSize;
            }
        }

        if (finding.GuardCondition is not null && finding.GuardSubject is not null)
        {
            properties[GuardConditionProperty] = finding.GuardCondition;
            properties[GuardSubjectProperty] = finding.GuardSubject;
            properties[GuardSubjectIsNameProperty] = finding.GuardSubjectIsName ? "true" : "false";
            properties[GuardMessageProperty] = finding.GuardMessage;
        }

        context.Report(Diagnostic.Create(
            DiagnosticDescriptors.UncheckedCopyLength,
            invocation.Syntax.GetLocation(),
            additionalLocations,
            properties.ToImmutable(),
            site.Api,
            finding.CountText,
            site.CountsBytes ? "bytes" : "elements",
            finding.Reason));
    }

    private sealed class Finding
    {
        public string CountText { get; set; } = "";

        public string Reason { get; set; } = "";

        public string? Clamp { get; set; }

        public string? DestinationSize { get; set; }

        public string? GuardCondition { get; set; }

        public string? GuardSubject { get; set; }

        public bool GuardSubjectIsName { get; set; }

        public string GuardMessage { get; set; } = "";
    }

    /// <summary>The checks for one copy site, in order: offset past the own length, fixed-size destination, fixed-size source, offset into a sized destination, caller's buffer, partial last element.</summary>
    private sealed class Evaluation
    {
        // One evaluation per thread, reset for each copy: a copy costs no allocation for the evaluation itself, and its
        // delegates (bound to it) are made once per thread.
        [ThreadStatic]
        private static Evaluation? current;

        private CopySite site = null!;
        private IMethodSymbol? method;
        private CancellationToken cancellationToken;
        private PathFacts? facts;

        // Made on first use, then reused (cleared) for every copy this thread evaluates.
        private Dictionary<ISymbol, LinearForm?>? lengths;
        private Func<ISymbol, LinearForm?>? lengthOf;
        private Func<PathFacts>? factsAtCopy;

        public static Finding? Run(CopySite site, IMethodSymbol? method, CancellationToken cancellationToken)
        {
            var evaluation = current ?? new Evaluation();
            current = null; // not shared with a nested evaluation, should one ever run
            try
            {
                evaluation.site = site;
                evaluation.method = method;
                evaluation.cancellationToken = cancellationToken;
                return evaluation.Run();
            }
            finally
            {
                evaluation.site = null!;
                evaluation.method = null;
                evaluation.facts = null;
                evaluation.lengths?.Clear();
                current = evaluation;
            }
        }

        private Func<ISymbol, LinearForm?> LengthOfVariable => lengthOf ??= LengthOf;

        private string Unit => site.CountsBytes ? "bytes" : "elements";

        /// <summary>What holds on every path to the copy: computed on first use, since most copies are proved safe (or
        /// out of scope) without it and it walks the enclosing statements.</summary>
        private PathFacts Facts => facts ??= PathFacts.At(site.Invocation, cancellationToken);

        private Finding? Run()
        {
            if (site.Count is null && site.Source.Buffer is null)
            {
                return null;
            }

            return OffsetPastOwnLength(site.Source) ?? OffsetPastOwnLength(site.Destination)
                ?? FixedSize(site.Destination, isDestination: true)
                ?? FixedSize(site.Source, isDestination: false)
                ?? MemoryCopyDestinationSize()
                ?? OffsetIntoSizedDestination(site.Destination)
                ?? CallerBuffer()
                ?? PartialLastElement(site.Destination)
                ?? PartialLastElement(site.Source);
        }

        /// <summary>
        /// A count of bytes <c>n</c> into (or out of) an array of S-byte elements made with <c>n / S</c> of them:
        /// <c>short[] pcm = new short[pcmBytes.Length / 2]; Buffer.BlockCopy(pcmBytes, 0, pcm, 0, pcmBytes.Length)</c> holds
        /// <c>2 * (n / 2)</c> bytes, one fewer than it copies when n is odd, and throws. Flagged when the count is the
        /// dividend itself (the same value: nothing assigns what it reads between the array's making and the copy) and
        /// no test on every path makes it a multiple of S (<see cref="Divisibility"/>) or bounds it by the array's bytes.
        /// Only byte-counting copies from the array's start, with a count that is not a constant (a constant quotient is
        /// a constant size, checked above). Asked last, and past the element type's size (read from the operand's type)
        /// only for arrays wider than a byte, so a copy between byte arrays costs nothing here; the array's definition is
        /// the one <see cref="FixedSize"/> looked up (answered from the same cache).
        /// </summary>
        private Finding? PartialLastElement(CopyOperand operand)
        {
            if (!site.CountsBytes || site.Count is null || operand.Buffer is null || !operand.StartsAtZero || operand.ViewLength is not null
                || BufferSizes.ElementType(LinearForm.Strip(operand.Buffer)?.Type) is not { } elementType
                || BufferSizes.SizeOfElement(elementType) is not (> 1 and var elementSize)
                || LinearForm.From(site.Count) is not { IsConstant: false } count
                || BufferSizes.GetQuotient(operand.Buffer, cancellationToken) is not { } quotient
                || quotient.Divisor != elementSize
                || LinearForm.From(quotient.Dividend) is not { } dividend
                || !Unchanged(count, quotient.Creation) || !Unchanged(dividend, quotient.Creation))
            {
                return null;
            }

            if (!IsZero(count.Subtract(dividend)))
            {
                // The same value through locals: 'int n = data.Length' divided, 'data.Length' copied.
                var resolvedCount = ResolveLocals(count);
                var resolvedDividend = ResolveLocals(dividend);
                if (!IsZero(resolvedCount.Subtract(resolvedDividend))
                    || !Unchanged(resolvedCount, quotient.Creation) || !Unchanged(resolvedDividend, quotient.Creation))
                {
                    return null;
                }
            }

            var bufferText = operand.Buffer.Syntax.ToString();
            var bufferVariable = LinearForm.GetVariable(operand.Buffer);
            var hasLength = bufferVariable is not null && BufferSizes.HasLength(operand.Buffer.Type);
            if ((hasLength
                    && GuardAnalysis.IsBounded(site.Count, LinearForm.Of(new LinearTerm(LinearTermKind.Length, bufferVariable!)).Scale(elementSize), LengthOfVariable, cancellationToken))
                || Divisibility.IsMultipleAt(site.Invocation, IsCount, elementSize, cancellationToken))
            {
                return null;
            }

            var countText = site.Count.Syntax.ToString();
            var elementText = elementType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            var finding = new Finding
            {
                CountText = countText,
                Reason = elementSize == 2
                    ? $"'{bufferText}' holds only '{quotient.Division.Syntax}' {elementText}s, one byte fewer than '{countText}' when that is odd"
                    : $"'{bufferText}' holds only '{quotient.Division.Syntax}' {elementText}s, up to {elementSize - 1} bytes fewer than '{countText}' when that is not a multiple of {elementSize}",
            };

            // Clamped to the array's whole elements: the trailing partial one is left out. No guard: "oversized" input here
            // is any odd length, and rejecting it throws where the copy already throws.
            if (hasLength && site.Api == "Buffer.BlockCopy")
            {
                finding.Clamp = ClampText(site.Count, ByteLengthText(bufferText, elementType, elementSize));
            }

            return finding;

            bool IsCount(IOperation operation)
                => LinearForm.From(operation) is { } form && (IsZero(form.Subtract(count)) || IsZero(ResolveLocals(form).Subtract(ResolveLocals(count))));
        }

        private static bool IsZero(LinearForm form) => form is { IsConstant: true, Constant: 0 };

        /// <summary>
        /// <paramref name="form"/> with each local that holds one linear value wherever it is read (its declaration's
        /// initializer, nothing else assigns it) replaced by that value: <c>n</c> of <c>int n = data.Length</c> is <c>data.Length</c>.
        /// </summary>
        private LinearForm ResolveLocals(LinearForm form)
        {
            var resolved = LinearForm.Of(form.Constant);
            foreach (var (term, coefficient) in form.Terms)
            {
                var value = term.Kind == LinearTermKind.Value && term.Symbol is ILocalSymbol local
                    && Definitions.TryGetWithoutPath(local, site.Invocation, out var assigned, out var definition) && assigned
                    ? LinearForm.From(definition)
                    : null;
                resolved = resolved.Add((value ?? LinearForm.Of(term)).Scale(coefficient));
            }

            return resolved;
        }

        /// <summary>
        /// True when every variable <paramref name="form"/> reads holds, at the copy, what it held where
        /// <paramref name="creation"/> made the array: a parameter nothing assigns, a local assigned only by its declaration
        /// (or, where that cannot be told without the path, whose definition on the path to the copy comes before the
        /// array), a readonly field, or a field whose name nothing between the two assigns.
        /// </summary>
        private bool Unchanged(LinearForm form, IOperation creation)
        {
            foreach (var (term, _) in form.Terms)
            {
                switch (term.Symbol)
                {
                    case ILocalSymbol or IParameterSymbol:
                        if (Definitions.TryGetWithoutPath(term.Symbol, site.Invocation, out _, out _))
                        {
                            break;
                        }

                        if (Facts.TryGetDefinition(term.Symbol, out var definition)
                            && (definition is null || definition.Syntax.SyntaxTree != creation.Syntax.SyntaxTree || definition.Syntax.SpanStart >= creation.Syntax.SpanStart))
                        {
                            return false;
                        }

                        break;
                    case IFieldSymbol { IsReadOnly: true }:
                        break;
                    case IFieldSymbol field:
                        var tree = creation.Syntax.SyntaxTree;
                        if (tree != site.Invocation.Syntax.SyntaxTree || creation.Syntax.Span.End > site.Invocation.Syntax.SpanStart
                            || TextReads.MayAssign(TreeText.Of(tree, cancellationToken), creation.Syntax.Span.End, site.Invocation.Syntax.SpanStart, field.Name, declaration: -1))
                        {
                            return false;
                        }

                        break;
                    default:
                        return false;
                }
            }

            return true;
        }

        /// <summary>
        /// A destination made from the data (<c>new byte[length]</c>) written from an offset the count does not leave room
        /// for: <c>var arr = new byte[length]; Marshal.Copy(handle, arr, startIndex, length)</c> runs past the end of
        /// <c>arr</c> by <c>startIndex</c>, and <c>colorData = new byte[image.Length - 18]; image.CopyTo(colorData, 18)</c>
        /// (the whole source, <c>Array.CopyTo</c>'s implicit count) by 36. Flagged when the overrun (offset + count - size)
        /// is a positive constant, or is made only of positive terms the caller supplies that no guard bounds. Copies from
        /// offset 0, the usual case, cost nothing here.
        /// </summary>
        private Finding? OffsetIntoSizedDestination(CopyOperand operand)
        {
            if (operand.StartsAtZero || operand.ViewLength is not null || operand.Buffer is null)
            {
                return null;
            }

            var count = site.Count is null ? ImplicitCount() : LinearForm.From(site.Count);
            if (count is null)
            {
                return null;
            }

            var size = SizeOf(operand);
            var lengthOf = LengthOfVariable;
            if (!size.IsKnown && JustMade(operand.Buffer) is { } made)
            {
                // A field made by the statement just before the copy: that size, for this copy only.
                var field = made.Field;
                var madeElements = made.Size.Elements;
                size = made.Size;
                lengthOf = symbol => SymbolEqualityComparer.Default.Equals(symbol, field) ? madeElements : LengthOf(symbol);
            }

            if (!size.IsKnown || size.IsFixed || Capacity(operand, size) is not { } capacity)
            {
                return null;
            }

            var overrun = GuardAnalysis.SubstituteLengths(count.Subtract(capacity), lengthOf);
            if (overrun.IsConstant ? overrun.Constant <= 0
                : !OnlyPositiveTerms(overrun)
                    || !AnyCallerSupplied(overrun, operand.Offset!, CallerFields.None)
                    || (site.Count is null
                        ? GuardAnalysis.IsBounded(count, site.Invocation, capacity, lengthOf, cancellationToken)
                        : GuardAnalysis.IsBounded(site.Count, capacity, lengthOf, cancellationToken)))
            {
                return null;
            }

            var bufferText = operand.Buffer.Syntax.ToString();
            var capacityText = CapacityText(operand, size);
            var countText = CountText();
            var finding = new Finding
            {
                CountText = countText,
                Reason = capacityText is null
                    ? $"'{bufferText}' is written from offset '{operand.Offset!.Syntax}', which its size leaves no room for"
                    : $"'{bufferText}' is written from offset '{operand.Offset!.Syntax}', so only '{capacityText}' {Unit} fit",
            };
            if (capacityText is null)
            {
                return finding;
            }

            if (site.Count is not null)
            {
                finding.Clamp = ClampText(site.Count, capacityText);
                if (IsSimple(site.Count) && IsSimple(operand.Offset))
                {
                    SetGuard(finding, countText, site.Count, capacityText, bufferText);
                }
            }
            else if (!overrun.IsConstant && IsSimple(operand.Offset))
            {
                // The whole source has no count to clamp; the guard rejects the caller's offset when the source does not fit
                // from it (none where it never fits: that guard would always throw).
                SetGuard(finding, countText, operand.Offset, capacityText, bufferText);
            }

            return finding;
        }

        /// <summary>
        /// The size of a field (of this object, or static) that the statement just before the copy's own statement, in the
        /// same block, assigns an array it makes: <c>this.colorData = new byte[image.Length - 18]; image.CopyTo(this.colorData, 18);</c>.
        /// Nothing runs between the two that could replace the array. Null for anything else.
        /// </summary>
        private (IFieldSymbol Field, BufferSize Size)? JustMade(IOperation buffer)
        {
            if (LinearForm.GetVariable(buffer) is not IFieldSymbol field
                || site.Invocation.Parent is not IExpressionStatementOperation statement
                || statement.Parent is not IBlockOperation block)
            {
                return null;
            }

            // Where the copy stands in its block (remembered for a long block, as PathFacts does).
            var index = block.Operations.Length > 1 ? PathFacts.TreeCache.Of(block).IndexOf(block.Operations, statement) : -1;
            if (index <= 0
                || block.Operations[index - 1] is not IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment }
                || !SymbolEqualityComparer.Default.Equals(LinearForm.GetVariable(assignment.Target), field)
                || LinearForm.Strip(assignment.Value) is not IArrayCreationOperation creation)
            {
                return null;
            }

            var size = BufferSizes.Get(creation, cancellationToken);
            return size.IsKnown && size.Elements is { } elements && !elements.Mentions(field) ? (field, size) : null;
        }

        /// <summary>
        /// <c>other.state.Length</c> where <c>state</c> is a field that every instance creates with one constant size and
        /// never reassigns (a copy constructor's <c>Array.Copy(other.state, state, other.state.Length)</c>): that size.
        /// </summary>
        private LinearForm? FixedFieldLength(IOperation count)
            => LinearForm.Strip(count) is IPropertyReferenceOperation { Property.Name: "Length" or "LongLength", Instance: { } instance }
               && LinearForm.Strip(instance) is IFieldReferenceOperation { Type: IArrayTypeSymbol } field
               && BufferSizes.GetFixed(field, cancellationToken).ConstantElements is >= 0 and var elements
                ? LinearForm.Of(elements)
                : null;

        /// <summary>True when no variable of <paramref name="count"/> is left in <paramref name="overrun"/> (offset + count - size).</summary>
        private static bool CancelsOut(LinearForm count, LinearForm overrun)
        {
            if (count.IsConstant)
            {
                return false;
            }

            foreach (var (term, _) in count.Terms)
            {
                if (overrun.Mentions(term.Symbol))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>True when a variable of <paramref name="overrun"/>, as <paramref name="offset"/> reads it, comes from the caller.</summary>
        private bool AnyCallerSupplied(LinearForm overrun, IOperation offset, CallerFields fields)
        {
            foreach (var operation in offset.DescendantsAndSelf())
            {
                if (LinearForm.GetTerm(operation) is { } term && overrun.Mentions(term.Symbol)
                    && GuardAnalysis.IsCallerSupplied(operation, fields, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// <c>Array.Copy(src, 1, dst, 0, src.Length)</c>: the whole length from a non-zero offset. Also a count that may be
        /// that whole length, a local clamped to it or <c>Math.Min</c> with it (<c>n = want; if (src.Length &lt; want) n =
        /// src.Length;</c> then <c>Array.Copy(src, 1, dst, 0, n)</c>), unless the path bounds it by what the offset leaves.
        /// </summary>
        private Finding? OffsetPastOwnLength(CopyOperand operand)
        {
            if (site.Count is null || operand.StartsAtZero || operand.ViewLength is not null || operand.OffsetCountsElements
                || LinearForm.GetVariable(operand.Buffer) is not { } buffer)
            {
                return null;
            }

            if (IsZeroHere(operand.Offset!))
            {
                return null;
            }

            var bufferText = operand.Buffer!.Syntax.ToString();
            var offsetText = operand.Offset!.Syntax.ToString();
            if (IsLengthOf(site.Count, buffer))
            {
                return new Finding
                {
                    CountText = site.Count.Syntax.ToString(),
                    Reason = $"it starts at offset '{offsetText}' of '{bufferText}', so it runs past the end of '{bufferText}'",
                    Clamp = $"{bufferText}.Length - {Parenthesize(operand.Offset)}",
                };
            }

            if (!MayBeLengthOf(site.Count, buffer)
                || LinearForm.From(operand.Offset) is not { } offset
                || GuardAnalysis.IsBounded(site.Count, LinearForm.Of(new LinearTerm(LinearTermKind.Length, buffer)).Subtract(offset), LengthOfVariable, cancellationToken)
                || ComparedOnThePath(site.Count, buffer))
            {
                return null;
            }

            var countText = site.Count.Syntax.ToString();
            return new Finding
            {
                CountText = countText,
                Reason = $"'{countText}' can be as large as '{bufferText}.Length' and the copy starts at offset '{offsetText}' of '{bufferText}', so it can run past the end of '{bufferText}'",
                Clamp = $"System.Math.Min({countText}, {bufferText}.Length - {Parenthesize(operand.Offset)})",
            };
        }

        /// <summary>
        /// An offset that is 0 where the copy runs though it is not written as 0: a local that holds 0 there
        /// (<c>int readPos = 0;</c> and nothing changes it), a field set to 0 just before (<c>_readPos = 0;</c>), or a
        /// variable the copy is inside a test of (<c>if (offset == 0) { ... }</c>, the <c>else</c> of <c>offset != 0</c>).
        /// </summary>
        private bool IsZeroHere(IOperation offset)
        {
            var stripped = LinearForm.Strip(offset);
            var variable = LinearForm.GetVariable(stripped);
            switch (variable)
            {
                case null:
                    return false;
                case IFieldSymbol field when FieldAssignedJustBefore(site.Invocation, field)?.ConstantValue is { HasValue: true, Value: 0 or 0L }:
                case ILocalSymbol when Definitions.TryGetWithoutPath(variable, stripped!, out var assigned, out var value) && assigned
                    && value?.ConstantValue is { HasValue: true, Value: 0 or 0L }:
                    return true;
            }

            IOperation node = site.Invocation;
            for (var parent = node.Parent; parent is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; node = parent, parent = parent.Parent)
            {
                if (parent is IConditionalOperation conditional && !ReferenceEquals(conditional.Condition, node)
                    && TestsZero(conditional.Condition, variable, equal: ReferenceEquals(conditional.WhenTrue, node)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>v == 0</c> (<paramref name="equal"/>) or <c>v != 0</c>, alone or as one side of <c>&amp;&amp;</c> (<c>||</c> for <c>!=</c>).</summary>
        private static bool TestsZero(IOperation condition, ISymbol variable, bool equal)
        {
            if (condition is not IBinaryOperation binary)
            {
                return false;
            }

            switch (binary.OperatorKind)
            {
                case BinaryOperatorKind.ConditionalAnd when equal:
                case BinaryOperatorKind.ConditionalOr when !equal:
                    return TestsZero(binary.LeftOperand, variable, equal) || TestsZero(binary.RightOperand, variable, equal);
                case BinaryOperatorKind.Equals when equal:
                case BinaryOperatorKind.NotEquals when !equal:
                    return IsVariableAndZero(binary.LeftOperand, binary.RightOperand, variable) || IsVariableAndZero(binary.RightOperand, binary.LeftOperand, variable);
                default:
                    return false;
            }
        }

        private static bool IsVariableAndZero(IOperation side, IOperation other, ISymbol variable)
            => SymbolEqualityComparer.Default.Equals(LinearForm.GetVariable(side), variable)
                && LinearForm.TryGetInteger(other, out var value) && value == 0;

        /// <summary>Whether <paramref name="count"/> is <c>buffer.Length</c> itself.</summary>
        private static bool IsLengthOf(IOperation? count, ISymbol buffer)
            => LinearForm.From(count) is { Constant: 0, Terms.Count: 1 } form
                && form.Terms[0].Term.Kind == LinearTermKind.Length && form.Terms[0].Coefficient == 1
                && SymbolEqualityComparer.Default.Equals(form.Terms[0].Term.Symbol, buffer);

        /// <summary>
        /// Whether <paramref name="count"/> may hold <c>buffer.Length</c>: <c>Math.Min</c> with it, or a local whose last
        /// assignment is one of those or the length itself (<c>long n = src.LongLength;</c>), or a clamp that assigns it
        /// (<c>if (src.Length &lt; n) n = src.Length;</c>).
        /// </summary>
        private bool MayBeLengthOf(IOperation count, ISymbol buffer)
        {
            var stripped = LinearForm.Strip(count);
            if (IsMinWithLengthOf(stripped, buffer))
            {
                return true;
            }

            var local = LinearForm.GetVariable(stripped);
            if (local is IFieldSymbol field)
            {
                return IsLengthOf(FieldAssignedJustBefore(site.Invocation, field, buffer), buffer);
            }

            if (local is not (ILocalSymbol or IParameterSymbol { RefKind: RefKind.None }))
            {
                return false;
            }

            // Cheapest first, as for the caller-supplied check: where the body leaves no doubt (and then no clamp is
            // conditional), no path facts are built for a copy that is likely proved without them.
            // A variable assigned the length itself, as int or long (var n = src.LongLength;), counts too.
            if (Definitions.TryGetWithoutPath(local, stripped!, out var assigned, out var known))
            {
                return assigned && (IsMinWithLengthOf(LinearForm.Strip(known), buffer) || IsLengthOf(known, buffer));
            }

            if (Facts.TryGetConditionalDefinition(local, out var clamp, out var clamped))
            {
                // Either value can reach the copy: the clamp's, or the one before it when the clamp's test fails
                // (int n = src.Length; if (n > dst.Length) n = dst.Length; keeps src.Length for a large dst).
                return IsLengthOf(clamped, buffer) || IsMinWithLengthOf(LinearForm.Strip(clamped), buffer)
                    || (clamp is not null && PathFacts.At(clamp.Condition, cancellationToken).TryGetDefinition(local, out var before) && IsLengthOf(before, buffer));
            }

            return Facts.TryGetDefinition(local, out var definition)
                && (IsMinWithLengthOf(LinearForm.Strip(definition), buffer) || IsLengthOf(definition, buffer));
        }

        /// <summary>
        /// What <paramref name="field"/> was assigned by one of the few statements just before the copy's statement in the
        /// same block, when nothing between them can change it: no call, no constructor, no property but an array's
        /// length, no label to jump to, no other store to it (<c>_len = buffer.LongLength; if (buffer.LongLength &gt; 125)
        /// _kind = 1; _payload = new byte[_len]; Array.Copy(buffer, offset, _payload, 0, _len);</c>). Null otherwise: a
        /// field's value elsewhere is any method's to change.
        /// </summary>
        /// <param name="alsoUnchanged">A variable that must not be stored to in between either (the buffer whose length it is).</param>
        private static IOperation? FieldAssignedJustBefore(IInvocationOperation copy, IFieldSymbol field, ISymbol? alsoUnchanged = null)
        {
            if (copy.Parent is not IExpressionStatementOperation statement || statement.Parent is not IBlockOperation block)
            {
                return null;
            }

            var operations = block.Operations;
            var index = operations.IndexOf(statement);
            for (var i = index - 1; i >= 0 && i >= index - 12; i--)
            {
                var before = operations[i];
                if (before is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } assignment }
                    && SymbolEqualityComparer.Default.Equals(target.Field, field))
                {
                    return target.Instance is null or IInstanceReferenceOperation && !MayRunCode(assignment.Value) ? assignment.Value : null;
                }

                if (before.Kind == OperationKind.Labeled || MayRunCode(before) || Writes(before, field)
                    || (alsoUnchanged is not null && Writes(before, alsoUnchanged)))
                {
                    return null;
                }
            }

            return null;
        }

        /// <summary>A store of <paramref name="variable"/> in <paramref name="statement"/> (a call, which could pass it by reference, stops the search before this).</summary>
        private static bool Writes(IOperation statement, ISymbol variable)
        {
            foreach (var operation in statement.DescendantsAndSelf())
            {
                if (operation is IFieldReferenceOperation or ILocalReferenceOperation or IParameterReferenceOperation
                    && SymbolEqualityComparer.Default.Equals(LinearForm.GetVariable(operation), variable)
                    && (ResultUsage.IsWrite(operation) || operation.Parent is IIncrementOrDecrementOperation or ITupleOperation))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A call, a constructor or a property getter (but an array's length) can run code that stores anywhere.</summary>
        private static bool MayRunCode(IOperation operation)
        {
            foreach (var descendant in operation.DescendantsAndSelf())
            {
                switch (descendant)
                {
                    case IPropertyReferenceOperation { Property: { Name: "Length" or "LongLength", ContainingType.SpecialType: SpecialType.System_Array } }:
                        break;
                    case IPropertyReferenceOperation or IInvocationOperation or IObjectCreationOperation or IDynamicInvocationOperation
                        or IDynamicMemberReferenceOperation or IEventReferenceOperation or IUnaryOperation { OperatorMethod: not null }
                        or IBinaryOperation { OperatorMethod: not null } or IConversionOperation { OperatorMethod: not null }:
                        return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Whether a condition the copy depends on compares the count with <c>buffer.Length</c> in any form: an <c>if</c>
        /// around the copy, or one before it in a block around it that leaves (<c>if (n == src.Length) return;</c>).
        /// An equality the path facts do not keep still says its author saw the bound: the weaker "may be the whole
        /// length" finding is not made then.
        /// </summary>
        private static bool ComparedOnThePath(IOperation count, ISymbol buffer)
        {
            var variable = LinearForm.GetVariable(count);
            IOperation node = count;
            for (var parent = count.Parent; parent is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; node = parent, parent = parent.Parent)
            {
                switch (parent)
                {
                    case IConditionalOperation conditional when !ReferenceEquals(conditional.Condition, node)
                        && ComparesWithLength(conditional.Condition, count, variable, buffer):
                    case IWhileLoopOperation { Condition: { } loopCondition } when ComparesWithLength(loopCondition, count, variable, buffer):
                        return true;
                    case IBlockOperation block:
                        foreach (var statement in block.Operations)
                        {
                            if (ReferenceEquals(statement, node))
                            {
                                break;
                            }

                            if (statement is IConditionalOperation { WhenFalse: null } exit
                                && ComparesWithLength(exit.Condition, count, variable, buffer)
                                && FailureChecks.Leaves(exit.WhenTrue, exit.SemanticModel))
                            {
                                return true;
                            }
                        }

                        break;
                }
            }

            return false;
        }

        private static bool ComparesWithLength(IOperation condition, IOperation count, ISymbol? variable, ISymbol buffer)
        {
            var readsCount = false;
            var readsLength = false;
            foreach (var operation in condition.DescendantsAndSelf())
            {
                readsCount |= variable is not null
                    ? SymbolEqualityComparer.Default.Equals(LinearForm.GetVariable(operation), variable)
                    : operation.Syntax.IsEquivalentTo(count.Syntax);
                readsLength |= IsLengthOf(operation, buffer);
            }

            return readsCount && readsLength;
        }

        private static bool IsMinWithLengthOf(IOperation? value, ISymbol buffer)
        {
            if (value is not IInvocationOperation { TargetMethod: { Name: "Min", ContainingType: { Name: "Math", ContainingNamespace.Name: "System" } } } min)
            {
                return false;
            }

            foreach (var argument in min.Arguments)
            {
                if (IsLengthOf(argument.Value, buffer))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A count (or offset) from the caller into or out of a buffer whose size does not follow the data, or, out of
        /// one, a count that is a field of an object the method filled from that buffer (<see cref="LengthFromData"/>).
        /// </summary>
        private Finding? FixedSize(CopyOperand operand, bool isDestination)
        {
            var size = SizeOf(operand, fixedOnly: true);
            if (!size.IsKnown || !size.IsFixed)
            {
                return null;
            }

            var capacity = Capacity(operand, size);
            if (capacity is null)
            {
                return null;
            }

            var memoryCopySize = isDestination ? site.DestinationSizeArgument?.Value : null;
            var checkedValue = memoryCopySize ?? site.Count;
            bool bounded;
            bool definite;
            var fromData = false;
            LinearForm? checkedForm = checkedValue is null ? ImplicitCount() : LinearForm.From(checkedValue) ?? FixedFieldLength(checkedValue);
            var constant = checkedForm is null ? null : GuardAnalysis.SubstituteLengths(checkedForm.Subtract(capacity), LengthOfVariable);
            if (constant is { IsConstant: true })
            {
                definite = constant.Constant > 0;
                bounded = !definite;
            }
            else
            {
                definite = false;
                // An offset kept in the object's own private fields (a ring buffer's or scratch buffer's cursor) is the
                // object's invariant, as a source's fields are; a count from the caller is still checked against it.
                var offsetFields = isDestination ? CallerFields.NonPrivate : CallerFields.None;
                bool fromCaller;
                if (checkedValue is not null && operand.Offset is not null && checkedForm is not null && CancelsOut(checkedForm, constant!))
                {
                    // Array.Copy(window, end - n, output, 0, n) reads up to 'end' whatever n is: the count cancels out of
                    // offset + count, and only what remains can run past the buffer.
                    fromCaller = AnyCallerSupplied(constant!, operand.Offset, offsetFields);
                }
                else
                {
                    fromCaller = checkedValue is null
                        ? IsCallerBuffer(site.Source.Buffer) || (isDestination && LinearForm.GetVariable(site.Source.Buffer) is IFieldSymbol)
                        : GuardAnalysis.IsCallerSupplied(checkedValue, isDestination ? CallerFields.All : CallerFields.None, cancellationToken);
                    fromCaller |= operand.Offset is not null && GuardAnalysis.IsCallerSupplied(operand.Offset, offsetFields, cancellationToken);
                }

                // A field of another object that the method filled from this very source (a header laid over the received
                // bytes): the data's own length, as untrusted as the caller's.
                if (!fromCaller && !isDestination && checkedValue is not null && checkedForm is null
                    && LinearForm.GetVariable(operand.Buffer) is { } sourceVariable
                    && LengthFromData.TryGetChain(checkedValue, out var root, out var fields)
                    && LengthFromData.IsUncheckedFromSource(site.Invocation, sourceVariable, root, fields, cancellationToken))
                {
                    fromCaller = fromData = true;
                }

                if (!fromCaller)
                {
                    return null;
                }

                bounded = checkedValue is null
                    ? checkedForm is not null && GuardAnalysis.IsBounded(checkedForm, site.Invocation, capacity, LengthOfVariable, cancellationToken)
                    : GuardAnalysis.IsBounded(checkedValue, capacity, LengthOfVariable, cancellationToken);
                bounded = bounded || (checkedForm is not null && FlushedWhenFull(operand, size, checkedValue, checkedForm));
            }

            if (bounded)
            {
                return null;
            }

            // Texts only for a finding: most copies into fixed buffers are bounded.
            var bufferText = operand.Buffer?.Syntax.ToString() ?? "the buffer";
            var sizeDescription = size.ConstantElements >= 0 ? $" ({size.ConstantElements * UnitScale(size)} {Unit})" : "";
            var countText = CountText();
            var capacityText = CapacityText(operand, size);
            string reason;
            if (memoryCopySize is not null)
            {
                reason = $"its destinationSizeInBytes '{memoryCopySize.Syntax}' is not bounded by the size of '{bufferText}'{sizeDescription}";
            }
            else if (definite)
            {
                var known = GuardAnalysis.SubstituteLengths(capacity, LengthOfVariable);
                reason = known.IsConstant
                    ? $"'{bufferText}' {(isDestination ? "can take" : "holds")} only {known.Constant} {Unit}{(operand.StartsAtZero ? "" : " from that offset")}"
                    : $"'{countText}' does not fit in '{bufferText}'";
            }
            else if (fromData)
            {
                reason = $"'{countText}' is read from '{bufferText}' itself and never compared with its size{sizeDescription}";
            }
            else if (LinearForm.GetVariable(checkedValue) is { } countVariable && PathFacts.At(site.Invocation, cancellationToken).Mentions(countVariable))
            {
                // if (count > _dst.Length + offset) throw ...: compared, but not against what the copy needs.
                reason = $"'{countText}' is compared only with bounds that do not keep it within the size of '{bufferText}'{sizeDescription}";
            }
            else
            {
                reason = $"'{countText}' is never compared with the size of '{bufferText}'{sizeDescription}";
            }

            var finding = new Finding { CountText = countText, Reason = reason };
            if (capacityText is not null)
            {
                if (memoryCopySize is not null && site.Count is not null)
                {
                    finding.Clamp = ClampText(site.Count, capacityText);
                    finding.DestinationSize = capacityText;
                }
                else if (site.Count is not null)
                {
                    finding.Clamp = ClampText(site.Count, capacityText);
                }

                // For MemoryCopy a guard on the count only helps when the count is also the size passed.
                var guardBoundsCheckedValue = memoryCopySize is null
                    || (site.Count is not null && memoryCopySize.Syntax.ToString() == site.Count.Syntax.ToString());
                if (!definite && guardBoundsCheckedValue && IsSimple(checkedValue ?? site.Count) && IsSimple(operand.Offset))
                {
                    SetGuard(finding, site.Count is null ? countText : site.Count.Syntax.ToString(), site.Count ?? site.Source.Buffer, capacityText, bufferText);
                }
            }

            return finding;
        }

        /// <summary>
        /// <c>Buffer.MemoryCopy(s, d, size, size)</c> with <c>fixed (byte* d = dest)</c>: the destination's size is known
        /// (<c>dest.Length</c>) but not fixed, and <c>destinationSizeInBytes</c>, the one thing that keeps MemoryCopy from
        /// writing past it, is a caller-supplied value that no condition on the way bounds by that size (or one larger
        /// than it). Fixed-size destinations are <see cref="FixedSize"/>'s; a pointer of unknown extent is left alone.
        /// </summary>
        private Finding? MemoryCopyDestinationSize()
        {
            if (site.DestinationSizeArgument?.Value is not { } sizeArgument
                || LinearForm.From(sizeArgument) is not { } sizeForm)
            {
                return null;
            }

            LinearForm? capacity;
            string? capacityText;
            var size = SizeOf(site.Destination);
            if (size.IsKnown)
            {
                if (size.IsFixed || (capacity = Capacity(site.Destination, size)) is null)
                {
                    return null;
                }

                capacityText = CapacityText(site.Destination, size);
            }
            else if (site.Destination.StartsAtZero
                && PinnedArray(site.Destination.Buffer) is { } array
                && LinearForm.GetVariable(array) is { } arrayVariable
                && BufferSizes.ElementType(array.Type) is { } elementType
                && BufferSizes.SizeOfElement(elementType) is > 0 and var elementSize)
            {
                // fixed (byte* d = dest): the pointer covers dest.Length elements.
                capacity = LinearForm.Of(new LinearTerm(LinearTermKind.Length, arrayVariable)).Scale(elementSize);
                capacityText = ByteLengthText(array.Syntax.ToString(), elementType, elementSize);
            }
            else
            {
                return null;
            }

            var difference = GuardAnalysis.SubstituteLengths(sizeForm.Subtract(capacity), LengthOfVariable);
            if (difference.IsConstant
                ? difference.Constant <= 0
                : !GuardAnalysis.IsCallerSupplied(sizeArgument, CallerFields.All, cancellationToken)
                    || GuardAnalysis.IsBounded(sizeArgument, capacity, LengthOfVariable, cancellationToken))
            {
                return null;
            }

            var bufferText = site.Destination.Buffer?.Syntax.ToString() ?? "the buffer";
            var finding = new Finding
            {
                CountText = CountText(),
                Reason = capacityText is null
                    ? $"its destinationSizeInBytes '{sizeArgument.Syntax}' is not bounded by the size of '{bufferText}'"
                    : $"its destinationSizeInBytes '{sizeArgument.Syntax}' is not bounded by the size of '{bufferText}' ({capacityText} {Unit})",
            };
            if (capacityText is not null && site.Count is not null)
            {
                finding.Clamp = ClampText(site.Count, capacityText);
                finding.DestinationSize = capacityText;
                if (!difference.IsConstant && sizeArgument.Syntax.ToString() == site.Count.Syntax.ToString() && IsSimple(site.Count) && IsSimple(site.Destination.Offset))
                {
                    SetGuard(finding, site.Count.Syntax.ToString(), site.Count, capacityText, bufferText);
                }
            }

            return finding;
        }

        /// <summary>An array's size in bytes as code: <c>buf.Length</c>, or <c>pcm.Length * sizeof(short)</c> for wider elements.</summary>
        private static string ByteLengthText(string arrayText, ITypeSymbol elementType, long elementSize)
            => elementSize == 1
                ? arrayText + ".Length"
                : $"{arrayText}.Length * sizeof({elementType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)})";

        /// <summary>The "Reject oversized input" fix's guard: <c>if (guarded &gt; capacity) throw ...</c>.</summary>
        private void SetGuard(Finding finding, string guarded, IOperation? subject, string capacityText, string bufferText)
        {
            finding.GuardCondition = $"{guarded} > {capacityText}";
            SetSubject(finding, subject, guarded);
            finding.GuardMessage = $"The copy length must not exceed the size of '{bufferText}'.";
        }

        /// <summary>
        /// The seed: a constant count copied out of a caller's buffer whose length (or the method's length parameter)
        /// is never compared with it, from a constant offset or from one the caller passes.
        /// </summary>
        private Finding? CallerBuffer()
        {
            // Cheapest first: the source's shape, then the count (one that reads a variable's value, or the length of a
            // parameter nothing reassigns, is not a constant, as the seed's is), and only then whether the body assigns
            // the source parameter, which reads the body's text. Most copies fail at the count.
            if (site.Count is null || (BufferParameter(site.Source.Buffer) ?? PinnedParameter(site.Source.Buffer)) is not { } sourceParameter
                || !MayBeConstantCount(site.Count)
                || !KeepsArgument(sourceParameter) || SizeOf(site.Source).IsKnown)
            {
                return null;
            }

            var countForm = LinearForm.From(site.Count);
            if (countForm is null || !GuardAnalysis.SubstituteLengths(countForm, LengthOfVariable).IsConstant)
            {
                return null;
            }

            var sourceType = sourceParameter.Type;
            var hasLength = sourceType is IArrayTypeSymbol || BufferSizes.ElementType(sourceType) is not null && sourceType is not IPointerTypeSymbol;
            var lengthParameter = FindLengthParameter(sourceParameter);
            if (!hasLength && lengthParameter is null)
            {
                return null;
            }

            // The source offset: a constant, or the caller's own (parameters that still hold their arguments, as
            // Stream.Write's 'offset'). A computed one (a loop index) reads a caller's buffer in steps the loop bounds: not
            // the seed. A caller's offset is taken in the source's own elements only (not bytes of an int[]).
            var offset = site.Source.Offset is null ? LinearForm.Zero : LinearForm.From(site.Source.Offset);
            var unitScale = site.CountsBytes ? BufferSizes.SizeOfElement(BufferSizes.ElementType(sourceType)) : 1;
            if (offset is null || (!offset.IsConstant && (unitScale != 1 || !IsCallerOffset(offset, sourceParameter))))
            {
                return null;
            }

            if (hasLength && unitScale > 0
                && GuardAnalysis.IsBounded(site.Count, LinearForm.Of(new LinearTerm(LinearTermKind.Length, sourceParameter)).Scale(unitScale).Subtract(offset), LengthOfVariable, cancellationToken))
            {
                return null;
            }

            if (lengthParameter is not null
                && GuardAnalysis.IsBounded(site.Count, LinearForm.Of(new LinearTerm(LinearTermKind.Value, lengthParameter)).Subtract(offset), LengthOfVariable, cancellationToken))
            {
                return null;
            }

            // (buffer, offset, count): the caller promises that the buffer holds offset + count, so 'count' bounds what is
            // read from 'offset' (Stream.Write(buffer, offset, count) checking count >= 12 before it reads 12 bytes at offset).
            var relativeLimit = (lengthParameter ?? (offset.IsConstant ? null : FindLengthParameter(sourceParameter, shared: true))) is { } promised
                ? RelativeLimit(offset, promised)
                : null;
            if (relativeLimit is not null && GuardAnalysis.IsBounded(site.Count, relativeLimit, LengthOfVariable, cancellationToken))
            {
                return null;
            }

            // A private method or local function whose every caller checked the buffer it passes (the check is the
            // caller's): asked last, only for what would be reported, since it binds the callers' bodies. The callers'
            // guards count elements: 16 bytes of an int[] need 4.
            var count0 = GuardAnalysis.SubstituteLengths(countForm, LengthOfVariable).Constant;
            if (hasLength && unitScale > 0 && site.Invocation.SemanticModel is { } model)
            {
                if (offset.IsConstant)
                {
                    var needed = SafeAdd(site.Source.OffsetCountsElements ? SafeMultiply(offset.Constant, unitScale) : offset.Constant, count0);
                    var elements = (needed / unitScale) + (needed % unitScale > 0 ? 1 : 0);
                    if (PrivateCallers.EveryCallPassesAtLeast(sourceParameter, elements, model, cancellationToken))
                    {
                        return null;
                    }
                }
                else if (PrivateCallers.EveryCallPassesAtLeast(sourceParameter, offset.Add(count0), relativeLimit?.Add(offset), model, cancellationToken))
                {
                    return null;
                }
            }

            var countText = site.Count.Syntax.ToString();
            var finding = new Finding { CountText = countText };
            if (!offset.IsConstant)
            {
                return CallerOffsetFinding(finding, sourceParameter, lengthParameter, offset, count0, hasLength);
            }

            var offsetSuffix = site.Source.StartsAtZero ? "" : " - " + Parenthesize(site.Source.Offset!);
            string? capacityText;
            if (lengthParameter is not null)
            {
                finding.Reason = $"'{sourceParameter.Name}' is a caller's buffer and '{lengthParameter.Name}' is never compared with '{countText}'";
                capacityText = lengthParameter.Name + offsetSuffix;
                SetSubject(finding, null, lengthParameter.Name);
                finding.GuardSubjectIsName = true;
            }
            else
            {
                finding.Reason = $"nothing checks that the caller's buffer '{sourceParameter.Name}' holds {SafeAdd(offset.Constant, count0)}";
                capacityText = unitScale == 1 ? sourceParameter.Name + ".Length" + offsetSuffix : null;
                finding.GuardSubject = sourceParameter.Name;
                finding.GuardSubjectIsName = true;
            }

            if (capacityText is null)
            {
                return finding;
            }

            // Math.Min(len, msg.Length) reads better than Math.Min(80, len) when 80 is the destination's size.
            var destinationSize = SizeOf(site.Destination);
            var countType = CountTypeKeyword();
            if (lengthParameter is not null && site.Source.StartsAtZero && countType is "int" or "long"
                && LinearForm.TryGetInteger(site.Count, out var count) && destinationSize.ConstantElements * UnitScale(destinationSize) == count
                && CapacityText(site.Destination, destinationSize) is { } destinationCapacity)
            {
                finding.Clamp = $"System.Math.Min({lengthParameter.Name}, {destinationCapacity})";
            }
            else
            {
                finding.Clamp = ClampText(site.Count, capacityText);
            }

            finding.GuardCondition = site.Source.StartsAtZero ? $"{capacityText} < {countText}" : $"{countText} > {capacityText}";
            finding.GuardMessage = $"'{sourceParameter.Name}' must hold at least {countText} {Unit}.";
            return finding;
        }

        /// <summary>
        /// The seed read from the caller's offset: <c>Buffer.BlockCopy(buffer, offset, nonce, 0, 12)</c> needs the buffer to
        /// hold <c>offset + 12</c>. With a (buffer, offset, count) triple the clamp and guard bound the count from the offset
        /// (<c>count &lt; 12</c>); without a length parameter they bound it by what the buffer holds past the offset.
        /// </summary>
        private Finding CallerOffsetFinding(Finding finding, IParameterSymbol sourceParameter, IParameterSymbol? lengthParameter, LinearForm offset, long count0, bool hasLength)
        {
            var countText = finding.CountText;
            var offsetOperation = site.Source.Offset!;
            var offsetText = offsetOperation.Syntax.ToString();
            finding.Reason = $"nothing checks that the caller's buffer '{sourceParameter.Name}' holds '{offsetText} + {countText}'";
            finding.GuardMessage = $"'{sourceParameter.Name}' must hold at least {countText} {Unit} from '{offsetText}'.";
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            string? capacityText = null;
            if (lengthParameter is not null && RelativeStart(offset, lengthParameter) is { } start
                && offset.Subtract(LinearForm.Of(new LinearTerm(LinearTermKind.Value, start))) is { IsConstant: true } past)
            {
                // 'count' counts from the offset parameter; the copy starts 'past' further on (offset + 12 reads 12 further).
                var needed = past.Constant == 0 ? countText : SafeAdd(count0, past.Constant).ToString(invariant);
                finding.Reason += $" ('{lengthParameter.Name}' is never compared with '{needed}')";
                capacityText = past.Constant switch
                {
                    0 => lengthParameter.Name,
                    > 0 => $"{lengthParameter.Name} - {past.Constant.ToString(invariant)}",
                    _ => $"{lengthParameter.Name} + {(-past.Constant).ToString(invariant)}",
                };
                finding.GuardSubject = lengthParameter.Name;
            }
            else if (hasLength)
            {
                capacityText = $"{sourceParameter.Name}.Length - {Parenthesize(offsetOperation)}";
                finding.GuardSubject = sourceParameter.Name;
            }

            finding.GuardSubjectIsName = true;
            if (capacityText is not null)
            {
                // What is left from the offset, then what is read: 'count < 12', 'data.Length - pos < 16'.
                finding.Clamp = ClampText(site.Count!, capacityText);
                finding.GuardCondition = $"{capacityText} < {countText}";
            }

            return finding;
        }

        /// <summary>
        /// True when <paramref name="offset"/> is made only of the caller's integer parameters (other than the buffer), each
        /// added once and still holding its argument: <c>offset</c>, <c>offset + 12</c>, <c>start + skip</c>. A scaled index
        /// (<c>slot * Size</c>) is not: it is checked against a count of records (<c>table.Length / Size</c>), which the
        /// guard analysis does not divide, as a loop index is by its loop.
        /// </summary>
        private bool IsCallerOffset(LinearForm offset, IParameterSymbol buffer)
        {
            foreach (var (term, coefficient) in offset.Terms)
            {
                if (term.Kind != LinearTermKind.Value || coefficient != 1
                    || term.Symbol is not IParameterSymbol { RefKind: RefKind.None } parameter
                    || SymbolEqualityComparer.Default.Equals(parameter, buffer)
                    || parameter.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32
                        or SpecialType.System_UInt64 or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Byte)
                    || !KeepsArgument(parameter))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// The offset parameter of a (buffer, offset, count) triple that <paramref name="offset"/> starts from: a parameter
        /// other than the length, added once (<c>offset</c>, <c>offset + 12</c>). With several, the first.
        /// </summary>
        private static IParameterSymbol? RelativeStart(LinearForm offset, IParameterSymbol lengthParameter)
        {
            foreach (var (term, coefficient) in offset.Terms)
            {
                if (term.Kind == LinearTermKind.Value && coefficient == 1 && term.Symbol is IParameterSymbol parameter
                    && !SymbolEqualityComparer.Default.Equals(parameter, lengthParameter))
                {
                    return parameter;
                }
            }

            return null;
        }

        /// <summary>
        /// What <paramref name="lengthParameter"/> lets the copy read when it counts from the offset parameter, as the length
        /// of a (buffer, offset, count) triple does: <c>count + offset - (source offset)</c>; null without such a parameter.
        /// </summary>
        private static LinearForm? RelativeLimit(LinearForm offset, IParameterSymbol lengthParameter)
            => RelativeStart(offset, lengthParameter) is { } start
                ? LinearForm.Of(new LinearTerm(LinearTermKind.Value, lengthParameter)).Add(LinearForm.Of(new LinearTerm(LinearTermKind.Value, start))).Subtract(offset)
                : null;

        /// <summary>
        /// False when <paramref name="count"/> cannot be a constant once lengths are known: it reads a variable's value,
        /// is not linear, or reads the length of a parameter that nothing in the body reassigns (its size is the
        /// caller's). True when it might (constants, lengths of locals and fields): <see cref="CallerBuffer"/> decides.
        /// </summary>
        private bool MayBeConstantCount(IOperation count)
        {
            var operation = LinearForm.Strip(count);
            if (LinearForm.TryGetInteger(operation, out _))
            {
                return true;
            }

            switch (operation)
            {
                case IBinaryOperation { OperatorMethod: null, OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply } binary:
                    return MayBeConstantCount(binary.LeftOperand) && MayBeConstantCount(binary.RightOperand);
                case IUnaryOperation { OperatorMethod: null, OperatorKind: UnaryOperatorKind.Minus or UnaryOperatorKind.Plus } unary:
                    return MayBeConstantCount(unary.Operand);
            }

            if (LinearForm.GetTerm(operation) is not { Kind: LinearTermKind.Length } term)
            {
                return false;
            }

            return term.Symbol is not IParameterSymbol parameter
                || !Definitions.TryGetWithoutPath(parameter, site.Invocation, out var assigned, out _)
                || assigned;
        }

        private LinearForm? LengthOf(ISymbol symbol)
        {
            lengths ??= new Dictionary<ISymbol, LinearForm?>(SymbolEqualityComparer.Default);
            if (!lengths.TryGetValue(symbol, out var length))
            {
                length = BufferSizes.GetOfVariable(symbol, site.Invocation, factsAtCopy ??= () => Facts, cancellationToken).Elements;
                lengths[symbol] = length;
            }

            return length;
        }

        /// <param name="fixedOnly">True when only a fixed size matters (any other size is answered as unknown, cheaply).</param>
        private BufferSize SizeOf(CopyOperand operand, bool fixedOnly = false)
        {
            if (operand.ViewLength is not null)
            {
                var viewLength = LinearForm.From(operand.ViewLength);
                var inner = viewLength is null || viewLength.IsConstant ? default : BufferSizes.GetFixed(operand.Buffer, cancellationToken);
                return viewLength is null
                    ? BufferSize.Unknown
                    : new BufferSize(viewLength, inner.IsFixed || viewLength.IsConstant, BufferSizes.SizeOfElement(BufferSizes.ElementType(operand.Buffer?.Type)), null);
            }

            return fixedOnly ? BufferSizes.GetFixed(operand.Buffer, cancellationToken) : BufferSizes.Get(operand.Buffer, cancellationToken);
        }

        private long UnitScale(BufferSize size) => site.CountsBytes ? size.ElementSize : 1;

        /// <summary>How many units (elements or bytes) fit from the operand's offset to its end, or null.</summary>
        private LinearForm? Capacity(CopyOperand operand, BufferSize size)
        {
            if (Total(operand, size) is not { } total)
            {
                return null;
            }

            if (operand.ViewLength is not null || operand.StartsAtZero)
            {
                return total;
            }

            return OffsetInUnits(operand, size) is { } offset ? total.Subtract(offset) : null;
        }

        /// <summary>The whole buffer's size in the copy's units (a view's own length for a view with one).</summary>
        private LinearForm? Total(CopyOperand operand, BufferSize size)
        {
            var scale = UnitScale(size);
            if (scale <= 0)
            {
                return null;
            }

            if (operand.ViewLength is not null)
            {
                return size.Elements!.Scale(scale);
            }

            var variable = LinearForm.GetVariable(operand.Buffer);
            return variable is not null && BufferSizes.HasLength(operand.Buffer!.Type)
                ? LinearForm.Of(new LinearTerm(LinearTermKind.Length, variable)).Scale(scale)
                : size.Elements!.Scale(scale);
        }

        /// <summary>The operand's offset in the copy's units, or null when it has none that is linear.</summary>
        private LinearForm? OffsetInUnits(CopyOperand operand, BufferSize size)
            => LinearForm.From(operand.Offset) is { } offset ? (operand.OffsetCountsElements ? offset.Scale(UnitScale(size)) : offset) : null;

        /// <summary>
        /// A batching writer's "flush when full": the count is at most the whole buffer, the offset is a cursor in the
        /// object's own private fields, and a test before the copy of whether cursor + count exceeds the buffer (extra
        /// positive terms allowed, <c>_length + separator + line.Length &gt; _batch.Length</c>) resets the cursor when it
        /// does, by assigning it or by calling a method of the type that assigns it (<c>Flush()</c>). The reset's
        /// value is not followed (that would take the callee's paths), so the cursor is taken as reset.
        /// </summary>
        private bool FlushedWhenFull(CopyOperand operand, BufferSize size, IOperation? count, LinearForm countForm)
        {
            if (method?.ContainingType is not { } type || operand.Offset is null || operand.ViewLength is not null
                || Total(operand, size) is not { } total || OffsetInUnits(operand, size) is not { } offset || offset.Terms.Count == 0)
            {
                return false;
            }

            // The cursor: the object's own private fields, counted up.
            var cursor = new List<IFieldSymbol>();
            foreach (var (term, coefficient) in offset.Terms)
            {
                if (term.Kind != LinearTermKind.Value || coefficient <= 0
                    || term.Symbol is not IFieldSymbol { DeclaredAccessibility: Accessibility.Private } field
                    || !SymbolEqualityComparer.Default.Equals(field.ContainingType, type))
                {
                    return false;
                }

                cursor.Add(field);
            }

            var overrun = GuardAnalysis.SubstituteLengths(countForm.Add(offset).Subtract(total), LengthOfVariable);
            if (!(count is null
                    ? GuardAnalysis.IsBounded(countForm, site.Invocation, total, LengthOfVariable, cancellationToken)
                    : GuardAnalysis.IsBounded(count, total, LengthOfVariable, cancellationToken)))
            {
                return false;
            }

            for (IOperation current = site.Invocation; current.Parent is { } parent; current = parent)
            {
                if (parent is not IBlockOperation block)
                {
                    continue;
                }

                foreach (var statement in block.Operations)
                {
                    if (statement == current)
                    {
                        break;
                    }

                    if (statement is IConditionalOperation test && ResetsWhenFull(test, overrun, cursor, type))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// True when <paramref name="test"/> asks whether the cursor plus the count (and other positive terms) exceed the
        /// buffer (<paramref name="overrun"/> is cursor + count - size) and, in the branch where they do, assigns the
        /// cursor or calls a method of <paramref name="type"/> on this object whose body may assign it.
        /// </summary>
        private bool ResetsWhenFull(IConditionalOperation test, LinearForm overrun, List<IFieldSymbol> cursor, INamedTypeSymbol type)
        {
            // The branch where the copy fits is the one whose facts bound the overrun ('pos + count <= size', or with more
            // positive terms on the left); the full branch is the other one.
            var full = Fits(GuardAnalysis.FactsOf(test.Condition, whenTrue: true, cancellationToken), overrun) ? test.WhenFalse
                : Fits(GuardAnalysis.FactsOf(test.Condition, whenTrue: false, cancellationToken), overrun) ? test.WhenTrue
                : null;
            return full is not null && Resets(full, cursor, type);
        }

        /// <summary>True when one of <paramref name="facts"/> (each <c>form &lt;= 0</c>) is the overrun plus positive terms.</summary>
        private bool Fits(List<LinearForm>? facts, LinearForm overrun)
        {
            foreach (var fact in facts ?? [])
            {
                if (OnlyPositiveTerms(GuardAnalysis.SubstituteLengths(fact, LengthOfVariable).Subtract(overrun)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True when <paramref name="form"/> is a non-negative constant plus terms with positive coefficients.</summary>
        private static bool OnlyPositiveTerms(LinearForm form)
        {
            if (form.Constant < 0)
            {
                return false;
            }

            foreach (var (_, coefficient) in form.Terms)
            {
                if (coefficient <= 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>True when <paramref name="branch"/> may assign a cursor field, itself or through a method of the type.</summary>
        private bool Resets(IOperation branch, List<IFieldSymbol> cursor, INamedTypeSymbol type)
        {
            if (MayAssignAny(branch.Syntax.SyntaxTree, branch.Syntax.Span, cursor))
            {
                return true;
            }

            foreach (var operation in branch.DescendantsAndSelf())
            {
                if (operation is IInvocationOperation { TargetMethod: { IsStatic: false } callee } invocation
                    && invocation.Instance is null or IInstanceReferenceOperation
                    && SymbolEqualityComparer.Default.Equals(callee.ContainingType, type))
                {
                    foreach (var reference in callee.DeclaringSyntaxReferences)
                    {
                        if (MayAssignAny(reference.SyntaxTree, reference.Span, cursor))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>True when the text of <paramref name="span"/> may assign one of <paramref name="fields"/>.</summary>
        private bool MayAssignAny(SyntaxTree tree, TextSpan span, List<IFieldSymbol> fields)
        {
            var text = TreeText.Of(tree, cancellationToken);
            foreach (var field in fields)
            {
                if (TextReads.MayAssign(text, span.Start, span.End, field.Name, declaration: -1))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The capacity as C# text: <c>msg.Length</c>, <c>msg.Length - off</c>, <c>80</c>, <c>n</c>.</summary>
        private string? CapacityText(CopyOperand operand, BufferSize size)
        {
            if (operand.ViewLength is not null)
            {
                return site.CountsBytes && size.ElementSize != 1 ? null : operand.ViewLength.Syntax.ToString();
            }

            var scale = UnitScale(size);
            if (scale <= 0 || operand.Buffer is null)
            {
                return null;
            }

            string total;
            if (LinearForm.GetVariable(operand.Buffer) is not null && BufferSizes.HasLength(operand.Buffer.Type))
            {
                total = operand.Buffer.Syntax + ".Length";
                if (scale > 1)
                {
                    total += " * sizeof(" + BufferSizes.ElementType(operand.Buffer.Type)!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + ")";
                }
            }
            else if (size.ConstantElements >= 0)
            {
                total = size.SizeText is not null && scale == 1 ? size.SizeText : (size.ConstantElements * scale).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                return null;
            }

            if (operand.StartsAtZero)
            {
                return total;
            }

            if (operand.OffsetCountsElements && scale != 1)
            {
                return null;
            }

            return total + " - " + Parenthesize(operand.Offset!);
        }

        private string ClampText(IOperation count, string capacity)
        {
            var type = CountTypeKeyword();
            var capacityArgument = type is "int" or "long" or null ? capacity : $"({type})({capacity})";
            if (type is not null && type is not "int" and not "long" && capacity.IndexOf(' ') < 0)
            {
                capacityArgument = $"({type}){capacity}";
            }

            return $"System.Math.Min({count.Syntax}, {capacityArgument})";
        }

        private string? CountTypeKeyword() => site.CountArgument?.Parameter?.Type.SpecialType switch
        {
            SpecialType.System_Int32 => "int",
            SpecialType.System_Int64 => "long",
            SpecialType.System_UInt32 => "uint",
            SpecialType.System_UInt64 => "ulong",
            SpecialType.System_UIntPtr => "nuint",
            SpecialType.System_IntPtr => "nint",
            _ => null,
        };

        /// <summary>The implicit count of <c>src.CopyTo(dst)</c>: what is left of the source.</summary>
        private LinearForm? ImplicitCount()
        {
            var source = site.Source;
            LinearForm? total = null;
            if (LinearForm.GetVariable(source.Buffer) is { } variable && BufferSizes.HasLength(source.Buffer!.Type))
            {
                total = LinearForm.Of(new LinearTerm(LinearTermKind.Length, variable));
            }
            else if (BufferSizes.Get(source.Buffer, cancellationToken) is { IsKnown: true } size)
            {
                total = size.Elements;
            }

            if (total is null || source.StartsAtZero)
            {
                return total;
            }

            var offset = LinearForm.From(source.Offset);
            return offset is null ? null : total.Subtract(offset);
        }

        private string CountText()
        {
            if (site.Count is not null)
            {
                return site.Count.Syntax.ToString();
            }

            var buffer = site.Source.Buffer?.Syntax.ToString() ?? "source";
            return site.Source.StartsAtZero ? buffer + ".Length" : buffer + ".Length - " + Parenthesize(site.Source.Offset!);
        }

        /// <summary>True when <paramref name="buffer"/> is a parameter that still holds the caller's argument.</summary>
        private bool IsCallerBuffer(IOperation? buffer) => BufferParameter(buffer) is { } parameter && KeepsArgument(parameter);

        /// <summary>The parameter (not <c>out</c>) that <paramref name="buffer"/> reads, or null.</summary>
        private static IParameterSymbol? BufferParameter(IOperation? buffer)
            => LinearForm.Strip(buffer) is IParameterReferenceOperation { Parameter: { RefKind: not RefKind.Out } parameter } ? parameter : null;

        /// <summary>
        /// The parameter whose array a pointer from <c>fixed</c> pins: <c>p</c> of <c>fixed (byte* p = buffer)</c> reads the
        /// caller's <c>buffer</c> (<c>Buffer.MemoryCopy(p, &amp;result, 8, 8)</c> is the seed's copy through a pointer).
        /// </summary>
        private IParameterSymbol? PinnedParameter(IOperation? buffer) => BufferParameter(PinnedArray(buffer));

        /// <summary>The array a pointer from <c>fixed</c> pins: <c>buffer</c> of <c>fixed (byte* p = buffer)</c>, or null.</summary>
        private IOperation? PinnedArray(IOperation? buffer)
            => LinearForm.Strip(buffer) is ILocalReferenceOperation { Local: { Type: IPointerTypeSymbol } local } reference
                && BufferSizes.TryGetDefinition(local, reference, cancellationToken, out var definition)
                && BufferSizes.Pinned(definition) is { Type: IArrayTypeSymbol } array
                    ? array
                    : null;

        /// <summary>True when nothing on the way to the copy assigns <paramref name="parameter"/>: it holds the caller's argument.</summary>
        private bool KeepsArgument(IParameterSymbol parameter)
            => !(Definitions.TryGetWithoutPath(parameter, site.Invocation, out var assigned, out _) ? assigned : Facts.TryGetDefinition(parameter, out _));

        /// <summary>An integer parameter that looks like the length of <paramref name="buffer"/>: <c>len</c>, <c>count</c>, <c>buffLen</c>...</summary>
        /// <param name="shared">True to take, among several buffers, a length named for none of them (the <c>count</c> of
        /// <c>(src, srcOffset, dst, dstOffset, count)</c>): only ever to accept a guard, never to report one missing.</param>
        private IParameterSymbol? FindLengthParameter(IParameterSymbol buffer, bool shared = false)
        {
            if (method is null)
            {
                return null;
            }

            // With several buffers, only a length named after this one (buffLen, sourceCount) is surely its length.
            var buffers = 0;
            foreach (var parameter in method.Parameters)
            {
                if (parameter.Type is IArrayTypeSymbol or IPointerTypeSymbol || BufferSizes.ElementType(parameter.Type) is not null
                    || parameter.Type.SpecialType is SpecialType.System_IntPtr)
                {
                    buffers++;
                }
            }

            IParameterSymbol? best = null;
            foreach (var parameter in method.Parameters)
            {
                if (parameter.RefKind == RefKind.Out || parameter.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64
                        or SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_IntPtr or SpecialType.System_UIntPtr))
                {
                    continue;
                }

                var name = parameter.Name;
                var looksLikeLength = false;
                foreach (var lengthName in LengthNames)
                {
                    if (string.Equals(name, lengthName, StringComparison.OrdinalIgnoreCase))
                    {
                        looksLikeLength = true;
                        break;
                    }

                    // A longer name is a buffer's length only when what comes before the suffix names a buffer:
                    // buffLen, dataLength, byteCount, but not sequenceCount or retryCount.
                    var suffix = lengthName.Length > 2 && name.EndsWith(lengthName, StringComparison.OrdinalIgnoreCase) ? lengthName.Length
                        : name.EndsWith("Len", StringComparison.Ordinal) ? 3
                        : 0;
                    if (suffix > 0 && NamesBuffer(name.Substring(0, name.Length - suffix), buffer))
                    {
                        looksLikeLength = true;
                        break;
                    }
                }

                if (!looksLikeLength)
                {
                    continue;
                }

                if (name.StartsWith(buffer.Name, StringComparison.OrdinalIgnoreCase))
                {
                    return parameter;
                }

                if (buffers <= 1 || shared)
                {
                    best ??= parameter;
                }
            }

            return best;
        }

        /// <summary>True when <paramref name="prefix"/> (of a name like <c>buffLen</c>) is the buffer's name or a word for a buffer.</summary>
        private static bool NamesBuffer(string prefix, IParameterSymbol buffer)
        {
            if (prefix.Length == 0 || buffer.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            foreach (var word in BufferWords)
            {
                if (string.Equals(prefix, word, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private void SetSubject(Finding finding, IOperation? value, string text)
        {
            finding.GuardSubject = text;
            finding.GuardSubjectIsName = false;
            if (value is null)
            {
                return;
            }

            ISymbol? local = null;
            foreach (var operation in value.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IParameterReferenceOperation parameter:
                        finding.GuardSubject = parameter.Parameter.Name;
                        finding.GuardSubjectIsName = true;
                        return;
                    case ILocalReferenceOperation localReference:
                        local ??= localReference.Local;
                        break;
                }
            }

            if (local is not null)
            {
                finding.GuardSubject = local.Name;
                finding.GuardSubjectIsName = true;
            }
        }

        private static long SafeAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

        private static long SafeMultiply(long a, long b) => b > 0 && a > long.MaxValue / b ? long.MaxValue : a * b;

        private static bool IsSimple(IOperation? operation) => operation is null || LinearForm.From(operation) is not null;

        private static string Parenthesize(IOperation operation)
        {
            var text = operation.Syntax.ToString();
            return LinearForm.Strip(operation) is IBinaryOperation or IConditionalOperation ? "(" + text + ")" : text;
        }
    }
}

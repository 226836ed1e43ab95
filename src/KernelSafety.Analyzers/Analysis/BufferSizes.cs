using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>The known size of a buffer expression, in elements.</summary>
internal readonly struct BufferSize
{
    public BufferSize(LinearForm elements, bool isFixed, int elementSize, string? sizeText)
    {
        Elements = elements;
        IsFixed = isFixed;
        ElementSize = elementSize;
        SizeText = sizeText;
    }

    public static BufferSize Unknown => default;

    /// <summary>The number of elements (a constant, or the variable the buffer was made from: <c>new byte[n]</c> → <c>n</c>); null when unknown.</summary>
    public LinearForm? Elements { get; }

    public bool IsKnown => Elements is not null;

    /// <summary>The size does not follow the data: a constant-size array, any <c>stackalloc</c>, a fixed buffer.</summary>
    public bool IsFixed { get; }

    /// <summary>Bytes per element (1 for <c>byte</c>, 4 for <c>int</c>), 0 when the element type is not a primitive.</summary>
    public int ElementSize { get; }

    /// <summary>The size as written where the buffer was made (<c>80</c>, <c>Size</c>), when it is a constant.</summary>
    public string? SizeText { get; }

    /// <summary>The constant number of elements, or -1.</summary>
    public long ConstantElements => Elements is { IsConstant: true } e ? e.Constant : -1;
}

/// <summary>An array's size written as an integer division by a constant: <c>n / 2</c>, <c>n &gt;&gt; 1</c>.</summary>
internal sealed class Quotient
{
    private Quotient(IOperation dividend, long divisor, IOperation division, IArrayCreationOperation creation)
    {
        Dividend = dividend;
        Divisor = divisor;
        Division = division;
        Creation = creation;
    }

    /// <summary>What is divided: <c>n</c>.</summary>
    public IOperation Dividend { get; }

    /// <summary>The constant divisor (<c>2</c>; <c>1 &lt;&lt; k</c> for <c>&gt;&gt; k</c>), at least 2.</summary>
    public long Divisor { get; }

    /// <summary>The division itself, as written (where a local holds it, the local's initializer).</summary>
    public IOperation Division { get; }

    /// <summary>Where the array is made.</summary>
    public IArrayCreationOperation Creation { get; }

    /// <summary>The quotient <paramref name="size"/> is, or null: an integer division or right shift by a constant.</summary>
    public static Quotient? Of(IOperation? size, IArrayCreationOperation creation)
    {
        if (size is not IBinaryOperation { OperatorMethod: null } binary
            || binary.Type?.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_UInt64)
            || !LinearForm.TryGetInteger(binary.RightOperand, out var right))
        {
            return null;
        }

        return binary.OperatorKind switch
        {
            BinaryOperatorKind.Divide when right > 1 => new Quotient(binary.LeftOperand, right, binary, creation),
            BinaryOperatorKind.RightShift when right is > 0 and < 32 => new Quotient(binary.LeftOperand, 1L << (int)right, binary, creation),
            _ => null,
        };
    }
}

/// <summary>
/// The size of an array, span or pointer expression when the code shows it: <c>new byte[80]</c>,
/// <c>new byte[n]</c>, <c>new byte[] { ... }</c>, <c>stackalloc byte[80]</c>, <c>ArrayPool&lt;T&gt;.Shared.Rent(n)</c>
/// (at least n), <c>GC.AllocateUninitializedArray&lt;T&gt;(n)</c>, a local assigned one of those (on every path to
/// the use, see <see cref="PathFacts"/>), a field initialised with a constant-size array and never reassigned in its
/// type (<c>static byte[] msg = new byte[Size]</c>), a fixed-size buffer field (<c>fixed byte data[80]</c>), a pointer
/// from <c>fixed (byte* p = msg)</c>, and spans over any of those. Parameters and anything else are unknown.
/// </summary>
internal static class BufferSizes
{
    /// <summary>An array, span or memory: a buffer whose <c>Length</c> is its size.</summary>
    public static bool HasLength(ITypeSymbol? type)
        => type is IArrayTypeSymbol || type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" };

    private sealed class FieldSize
    {
        public FieldSize(BufferSize size) => Size = size;

        public BufferSize Size { get; }
    }

    private static readonly ConditionalWeakTable<ISymbol, FieldSize> FieldSizes = new();
    private static readonly ConditionalWeakTable<IFieldSymbol, FieldConstant> FieldConstants = new();

    private sealed class FieldConstant
    {
        public FieldConstant(LinearForm? value) => Value = value;

        public LinearForm? Value { get; }
    }

    /// <summary>
    /// The value of a private integer field of a class that its type never assigns after its literal initializer:
    /// <c>private int _shift = 0;</c> added to every index. Read once and remembered. Null for anything else.
    /// </summary>
    public static LinearForm? ConstantOf(IFieldSymbol field, CancellationToken cancellationToken)
    {
        if (field.DeclaredAccessibility != Accessibility.Private || field.IsConst
            || field.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16
                or SpecialType.System_UInt16 or SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_UInt32))
        {
            return null;
        }

        if (FieldConstants.TryGetValue(field, out var known))
        {
            return known.Value;
        }

        return FieldConstants.GetValue(field, f => new FieldConstant(ReadConstant(f, cancellationToken))).Value;
    }

    private static LinearForm? ReadConstant(IFieldSymbol field, CancellationToken cancellationToken)
    {
        if (field.DeclaringSyntaxReferences.Length != 1
            || field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax declarator)
        {
            return null;
        }

        // An explicit literal, in a class, with no attribute: a field without an initializer, a serialized one
        // ([SerializeField], [JsonProperty]) or a struct's (filled from bytes by MemoryMarshal.Read or a pointer cast)
        // gets its value where this cannot see.
        if (declarator.Initializer is not { Value: LiteralExpressionSyntax { Token.Value: int literal } }
            || field.ContainingType.TypeKind != TypeKind.Class
            || !field.GetAttributes().IsEmpty)
        {
            return null;
        }

        // Any text that may write it (=, a compound assignment, ++, ref, out, a deconstruction) in any part of the type.
        return MayBeAssignedInText(field, cancellationToken) ? null : LinearForm.Of(literal);
    }
    private static readonly ConditionalWeakTable<INamedTypeSymbol, AssignedNameSet> AssignedNames = new();

    public static BufferSize Get(IOperation? buffer, CancellationToken cancellationToken) => Get(buffer, 0, fixedOnly: false, cancellationToken);

    /// <summary>
    /// The size of <paramref name="buffer"/> when it is fixed (<see cref="BufferSize.IsFixed"/>), else
    /// <see cref="BufferSize.Unknown"/>: the same answer as <see cref="Get(IOperation?, CancellationToken)"/> for fixed
    /// buffers, without computing the size of the others (most buffers follow their data).
    /// </summary>
    public static BufferSize GetFixed(IOperation? buffer, CancellationToken cancellationToken) => Get(buffer, 0, fixedOnly: true, cancellationToken);

    /// <summary>Bytes per element of a primitive type, else 0.</summary>
    public static int SizeOfElement(ITypeSymbol? elementType) => elementType?.SpecialType switch
    {
        SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_Boolean => 1,
        SpecialType.System_Char or SpecialType.System_Int16 or SpecialType.System_UInt16 => 2,
        SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Single => 4,
        SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Double => 8,
        _ => 0,
    };

    /// <summary>The element type of an array, pointer, span or memory type.</summary>
    public static ITypeSymbol? ElementType(ITypeSymbol? type) => type switch
    {
        IArrayTypeSymbol array => array.ElementType,
        IPointerTypeSymbol pointer => pointer.PointedAtType,
        INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
            when named.Name is "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" => named.TypeArguments[0],
        _ => null,
    };

    /// <summary>
    /// The size of the buffer a variable holds where <paramref name="facts"/> were taken: a local's definition on
    /// the path, a parameter reassigned on the path, a field's initializer or fixed size.
    /// </summary>
    public static BufferSize GetOfVariable(ISymbol variable, PathFacts facts, CancellationToken cancellationToken)
        => GetOfVariable(variable, null, () => facts, cancellationToken);

    /// <summary>
    /// The size of the buffer a variable holds at <paramref name="use"/>; <paramref name="facts"/> (the path facts at
    /// <paramref name="use"/>) is only asked for when <see cref="Definitions"/> cannot answer alone.
    /// </summary>
    public static BufferSize GetOfVariable(ISymbol variable, IOperation? use, Func<PathFacts> facts, CancellationToken cancellationToken)
    {
        switch (variable)
        {
            case ILocalSymbol or IParameterSymbol:
                IOperation? definition;
                var found = use is not null && Definitions.TryGetWithoutPath(variable, use, out var assigned, out definition)
                    ? assigned
                    : facts().TryGetDefinition(variable, out definition);
                return found && definition is not null
                    ? Get(definition, 1, fixedOnly: false, cancellationToken)
                    : BufferSize.Unknown;
            case IFieldSymbol { IsFixedSizeBuffer: true } fixedBuffer:
                return new BufferSize(LinearForm.Of(fixedBuffer.FixedSize), true, ElementSize(fixedBuffer.Type), null);
            case IFieldSymbol field:
                return GetField(field, cancellationToken);
            case IPropertySymbol property:
                return GetAutoProperty(property, cancellationToken);
            default:
                return BufferSize.Unknown;
        }
    }

    private static BufferSize Get(IOperation? buffer, int depth, bool fixedOnly, CancellationToken cancellationToken)
    {
        if (buffer is null || depth > 6)
        {
            return BufferSize.Unknown;
        }

        var operation = LinearForm.Strip(buffer);
        switch (operation)
        {
            case IArrayCreationOperation { DimensionSizes.Length: 1 } creation:
                return Sized(creation.DimensionSizes[0], isFixed: null, ElementSize(creation.Type), fixedOnly, cancellationToken);

            case IObjectCreationOperation { Constructor.ContainingType.Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory", Arguments.Length: 1 } span:
                return Get(span.Arguments[0].Value, depth + 1, fixedOnly, cancellationToken);

            case IInvocationOperation { TargetMethod: { Name: "AsSpan" or "AsMemory", ContainingType.Name: "MemoryExtensions" } } asSpan
                when asSpan.Arguments.Length == 1:
                return Get(asSpan.Arguments[0].Value, depth + 1, fixedOnly, cancellationToken);

            case IInvocationOperation { TargetMethod: { Name: "Rent" } rent } invocation
                when rent.ContainingType?.Name == "ArrayPool" && invocation.Arguments.Length == 1:
                // Rent returns at least n elements: n is a safe capacity, never a fixed one.
                return fixedOnly ? BufferSize.Unknown : Sized(invocation.Arguments[0].Value, isFixed: false, ElementSize(invocation.Type), fixedOnly, cancellationToken);

            case IInvocationOperation { TargetMethod: { Name: "AllocateUninitializedArray" or "AllocateArray", ContainingType.Name: "GC" } } allocate
                when allocate.Arguments.Length >= 1:
                return fixedOnly ? BufferSize.Unknown : Sized(allocate.Arguments[0].Value, isFixed: false, ElementSize(allocate.Type), fixedOnly, cancellationToken);

            case ILocalReferenceOperation local:
                if (TryGetDefinition(local.Local, operation, cancellationToken, out var definition) && definition is not null)
                {
                    return Get(definition, depth + 1, fixedOnly, cancellationToken);
                }

                return BufferSize.Unknown;

            case IUtf8StringOperation utf8:
                // "HELO"u8: a constant of as many bytes as the text has in UTF-8.
                return new BufferSize(LinearForm.Of(System.Text.Encoding.UTF8.GetByteCount(utf8.Value)), true, 1, null);

            case IFieldReferenceOperation { Field: { IsFixedSizeBuffer: true } fixedBuffer }:
                return new BufferSize(LinearForm.Of(fixedBuffer.FixedSize), true, ElementSize(fixedBuffer.Type), null);

            case IFieldReferenceOperation field:
                return GetField(field.Field, cancellationToken);

            case IPropertyReferenceOperation { Property: { Parameters.Length: 0, Type: IArrayTypeSymbol } property, Instance: null or IInstanceReferenceOperation }:
                return GetAutoProperty(property, cancellationToken);

            case { Kind: OperationKind.None } none when none.Syntax is StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax:
                return GetStackAlloc(none, cancellationToken);

            case { Kind: OperationKind.None } none when Pinned(none) is { } pinned:
                // fixed (byte* p = msg): the pointer covers the array.
                return Get(pinned, depth + 1, fixedOnly, cancellationToken);

            default:
                return BufferSize.Unknown;
        }
    }

    /// <summary>
    /// The division an array was made with: <c>new short[n / 2]</c>, <c>new short[n &gt;&gt; 1]</c>, or
    /// <c>new short[samples]</c> where the local <c>samples</c> holds <c>n / 2</c>. Followed from the buffer as
    /// <see cref="Get(IOperation?, CancellationToken)"/> follows it (a local's definition, a pointer from <c>fixed</c>), with
    /// the same lookups, which a copy that asked for the buffer's size has already made. Null for anything else (a
    /// quotient has no <see cref="LinearForm"/>, so <see cref="Get(IOperation?, CancellationToken)"/> calls such a size unknown).
    /// </summary>
    public static Quotient? GetQuotient(IOperation? buffer, CancellationToken cancellationToken) => GetQuotient(buffer, 0, cancellationToken);

    private static Quotient? GetQuotient(IOperation? buffer, int depth, CancellationToken cancellationToken)
    {
        if (buffer is null || depth > 6)
        {
            return null;
        }

        var operation = LinearForm.Strip(buffer);
        switch (operation)
        {
            case IArrayCreationOperation { DimensionSizes.Length: 1 } creation:
                var size = LinearForm.Strip(creation.DimensionSizes[0]);
                if (size is ILocalReferenceOperation sizeLocal
                    && TryGetDefinition(sizeLocal.Local, size, cancellationToken, out var sizeDefinition) && sizeDefinition is not null)
                {
                    size = LinearForm.Strip(sizeDefinition);
                }

                return Quotient.Of(size, creation);

            case ILocalReferenceOperation local:
                return TryGetDefinition(local.Local, operation, cancellationToken, out var definition) && definition is not null
                    ? GetQuotient(definition, depth + 1, cancellationToken)
                    : null;

            case { Kind: OperationKind.None } none when Pinned(none) is { } pinned:
                return GetQuotient(pinned, depth + 1, cancellationToken);

            default:
                return null;
        }
    }

    private static BufferSize GetStackAlloc(IOperation stackAlloc, CancellationToken cancellationToken)
    {
        var elementSize = ElementSize(stackAlloc.Type);
        if (stackAlloc.Syntax is StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax { RankSpecifiers.Count: 1 } arrayType }
            && arrayType.RankSpecifiers[0].Sizes.Count == 1
            && arrayType.RankSpecifiers[0].Sizes[0] is var size and not OmittedArraySizeExpressionSyntax)
        {
            foreach (var child in stackAlloc.ChildOperations)
            {
                if (child.Syntax == size)
                {
                    return Sized(child, isFixed: true, elementSize, fixedOnly: false, cancellationToken);
                }
            }
        }

        var initializer = stackAlloc.Syntax switch
        {
            StackAllocArrayCreationExpressionSyntax explicitStackAlloc => explicitStackAlloc.Initializer,
            ImplicitStackAllocArrayCreationExpressionSyntax implicitStackAlloc => implicitStackAlloc.Initializer,
            _ => null,
        };
        return initializer is null
            ? BufferSize.Unknown
            : new BufferSize(LinearForm.Of(initializer.Expressions.Count), true, elementSize, null);
    }

    private static BufferSize Sized(IOperation size, bool? isFixed, int elementSize, bool fixedOnly, CancellationToken cancellationToken)
    {
        if (LinearForm.TryGetInteger(size, out var constant))
        {
            var text = size.Syntax is LiteralExpressionSyntax or IdentifierNameSyntax or MemberAccessExpressionSyntax ? size.Syntax.ToString() : null;
            return new BufferSize(LinearForm.Of(constant), isFixed ?? true, elementSize, text);
        }

        // A size that is not a constant only makes a fixed buffer for stackalloc (isFixed: true).
        if (fixedOnly && isFixed != true)
        {
            return BufferSize.Unknown;
        }

        // new byte[n] where n = data.Length: the size is data.Length (one level, where the buffer is made).
        if (LinearForm.Strip(size) is ILocalReferenceOperation local
            && TryGetDefinition(local.Local, size, cancellationToken, out var definition)
            && LinearForm.From(definition) is { } defined)
        {
            return new BufferSize(defined, isFixed ?? false, elementSize, null);
        }

        var form = LinearForm.From(size);
        return form is null ? BufferSize.Unknown : new BufferSize(form, isFixed ?? false, elementSize, null);
    }

    /// <summary>
    /// What a <c>fixed</c> statement's initializer pins, when <paramref name="initializer"/> (the definition of its pointer
    /// local) is one: <c>msg</c> of <c>fixed (byte* p = msg)</c>. Null otherwise.
    /// </summary>
    internal static IOperation? Pinned(IOperation? initializer)
    {
        if (initializer is not { Kind: OperationKind.None } pinning
            || pinning.Syntax.Parent is not EqualsValueClauseSyntax { Parent.Parent.Parent: FixedStatementSyntax })
        {
            return null;
        }

        foreach (var child in pinning.ChildOperations)
        {
            return child;
        }

        return null;
    }

    /// <summary>The definition of <paramref name="local"/> at <paramref name="use"/> (see <see cref="PathFacts.TryGetDefinition"/>).</summary>
    internal static bool TryGetDefinition(ILocalSymbol local, IOperation use, CancellationToken cancellationToken, out IOperation? definition)
        => Definitions.TryGetWithoutPath(local, use, out var assigned, out definition)
            ? assigned
            : PathFacts.At(use, cancellationToken).TryGetDefinition(local, out definition);

    private static int ElementSize(ITypeSymbol? bufferType) => SizeOfElement(ElementType(bufferType));

    /// <summary>
    /// A field initialised with a constant-size array that nothing in its type assigns again. Read from syntax:
    /// the initializer belongs to another operation block.
    /// </summary>
    private static BufferSize GetField(IFieldSymbol field, CancellationToken cancellationToken)
    {
        if (field.IsConst || field.Type is not IArrayTypeSymbol arrayType
            || (field.DeclaredAccessibility != Accessibility.Private && !field.IsReadOnly))
        {
            return BufferSize.Unknown;
        }

        return ReadOnce(field, arrayType, cancellationToken);
    }

    /// <summary>A member's size, read from its declaration once and remembered.</summary>
    private static BufferSize ReadOnce(ISymbol member, IArrayTypeSymbol arrayType, CancellationToken cancellationToken)
    {
        // Looked up before a value factory (a closure) is made: a member's size is read once and asked for at every copy.
        if (FieldSizes.TryGetValue(member, out var known))
        {
            return known.Size;
        }

        return FieldSizes.GetValue(member, m => new FieldSize(ReadField(m, arrayType, cancellationToken))).Size;
    }

    /// <summary>
    /// A get-only auto-property (or one with a private setter) of this type, initialised with a constant-size array
    /// that nothing in its type assigns again: <c>public int[] Memory { get; } = new int[3584];</c>. Not virtual,
    /// abstract or overriding, and without an <c>init</c> or non-private setter, so no other code can replace it.
    /// </summary>
    private static BufferSize GetAutoProperty(IPropertySymbol property, CancellationToken cancellationToken)
    {
        if (property.IsVirtual || property.IsAbstract || property.IsOverride || property.IsExtern
            || property.SetMethod is { } setter && (setter.IsInitOnly || setter.DeclaredAccessibility != Accessibility.Private)
            || property.Type is not IArrayTypeSymbol arrayType)
        {
            return BufferSize.Unknown;
        }

        return ReadOnce(property, arrayType, cancellationToken);
    }

    /// <summary>
    /// The initializer of a field's declarator, or of an auto-property (every accessor without a body), when the
    /// member has one declaration.
    /// </summary>
    private static ExpressionSyntax? Initializer(ISymbol member, CancellationToken cancellationToken)
    {
        if (member.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        return member.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) switch
        {
            VariableDeclaratorSyntax { Initializer.Value: { } value } => value,
            PropertyDeclarationSyntax { Initializer.Value: { } value, AccessorList.Accessors: var accessors }
                when !HasBody(accessors) => value,
            _ => null,
        };
    }

    private static bool HasBody(SyntaxList<AccessorDeclarationSyntax> accessors)
    {
        foreach (var accessor in accessors)
        {
            if (accessor.Body is not null || accessor.ExpressionBody is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static BufferSize ReadField(ISymbol field, IArrayTypeSymbol arrayType, CancellationToken cancellationToken)
    {
        if (Initializer(field, cancellationToken) is not { } value)
        {
            return BufferSize.Unknown;
        }

        var elementSize = SizeOfElement(arrayType.ElementType);
        long elements;
        switch (value)
        {
            case ArrayCreationExpressionSyntax { Type.RankSpecifiers.Count: 1, Initializer: var initializer } creation
                when creation.Type.RankSpecifiers[0].Sizes.Count == 1:
                var size = creation.Type.RankSpecifiers[0].Sizes[0];
                if (size is OmittedArraySizeExpressionSyntax)
                {
                    if (initializer is null)
                    {
                        return BufferSize.Unknown;
                    }

                    elements = initializer.Expressions.Count;
                    break;
                }

                if (!TryReadConstant(size, field.ContainingType, out elements))
                {
                    return BufferSize.Unknown;
                }

                break;
            case ImplicitArrayCreationExpressionSyntax implicitCreation:
                elements = implicitCreation.Initializer.Expressions.Count;
                break;
            case InitializerExpressionSyntax arrayInitializer:
                elements = arrayInitializer.Expressions.Count;
                break;
            case InvocationExpressionSyntax invocation when elementSize == 1 && TryReadEncodedLiteral(invocation, out elements)
                && !field.ContainingAssembly.TypeNames.Contains("Encoding"): // the compilation's own Encoding is another type
                break;
            default:
                return BufferSize.Unknown;
        }

        if (IsReassigned(field, cancellationToken))
        {
            return BufferSize.Unknown;
        }

        return new BufferSize(LinearForm.Of(elements), true, elementSize, null);
    }

    /// <summary>
    /// The bytes of a literal's encoding: <c>Encoding.ASCII.GetBytes("HELLO123")</c> (8: one byte a character, '?' for
    /// the rest), <c>Encoding.UTF8.GetBytes("...")</c> or <c>Encoding.Latin1.GetBytes("...")</c>, and
    /// <c>"HELLO123"u8.ToArray()</c>.
    /// </summary>
    private static bool TryReadEncodedLiteral(InvocationExpressionSyntax invocation, out long bytes)
    {
        bytes = 0;
        if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: var method } access)
        {
            return false;
        }

        if (method == "ToArray" && invocation.ArgumentList.Arguments.Count == 0
            && access.Expression is LiteralExpressionSyntax utf8 && utf8.IsKind(SyntaxKind.Utf8StringLiteralExpression))
        {
            bytes = System.Text.Encoding.UTF8.GetByteCount(utf8.Token.ValueText);
            return true;
        }

        if (method != "GetBytes"
            || invocation.ArgumentList.Arguments.Count != 1
            || invocation.ArgumentList.Arguments[0].Expression is not LiteralExpressionSyntax literal
            || !literal.IsKind(SyntaxKind.StringLiteralExpression)
            || access.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: var encoding, Expression: var owner }
            || owner is not (IdentifierNameSyntax { Identifier.ValueText: "Encoding" } or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Encoding" }))
        {
            return false;
        }

        var text = literal.Token.ValueText;
        switch (encoding)
        {
            case "ASCII" or "Latin1":
                bytes = text.Length;
                return true;
            case "UTF8":
                bytes = System.Text.Encoding.UTF8.GetByteCount(text);
                return true;
            default:
                return false;
        }
    }

    private static bool TryReadConstant(ExpressionSyntax size, INamedTypeSymbol containingType, out long value)
    {
        value = 0;
        switch (size)
        {
            case LiteralExpressionSyntax { Token.Value: int literal }:
                value = literal;
                return true;
            case IdentifierNameSyntax identifier:
                foreach (var member in containingType.GetMembers(identifier.Identifier.ValueText))
                {
                    if (member is IFieldSymbol { HasConstantValue: true, ConstantValue: int constant })
                    {
                        value = constant;
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>True when the field's type (constructors included) assigns a name equal to the field's outside its initializer (conservative: any such name).</summary>
    private static bool IsReassigned(ISymbol field, CancellationToken cancellationToken)
        => MayBeAssignedInText(field, cancellationToken)
            && AssignedNames.GetValue(field.ContainingType, type => new AssignedNameSet(ReadAssignedNames(type, cancellationToken))).Names.Contains(field.Name);

    /// <summary>
    /// False when no place in the type's source that spells the field's name (but its declaration) can assign it
    /// (<see cref="TextReads.MayAssign"/>): the usual case, answered without walking the type's syntax.
    /// </summary>
    private static bool MayBeAssignedInText(ISymbol field, CancellationToken cancellationToken)
    {
        foreach (var part in field.ContainingType.DeclaringSyntaxReferences)
        {
            var text = TreeText.Of(part.SyntaxTree, cancellationToken);
            if (TextReads.MayAssign(text, part.Span.Start, part.Span.End, field.Name, TextReads.DeclarationStart(field, part.SyntaxTree)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The names assigned (<c>x = ...</c>, <c>this.x = ...</c>, <c>ref x</c>, <c>out x</c>) anywhere in the type's
    /// declarations: read from syntax once per type, for all of its fields.
    /// </summary>
    private static HashSet<string> ReadAssignedNames(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax(cancellationToken).DescendantNodes())
            {
                var target = node switch
                {
                    AssignmentExpressionSyntax assignment => assignment.Left,
                    ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument => argument.Expression,
                    _ => null,
                };
                var name = target switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
                    _ => null,
                };
                if (name is not null)
                {
                    names.Add(name);
                }
            }
        }

        return names;
    }

    private sealed class AssignedNameSet
    {
        public AssignedNameSet(HashSet<string> names) => Names = names;

        public HashSet<string> Names { get; }
    }
}

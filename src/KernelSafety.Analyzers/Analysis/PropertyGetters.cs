using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// A read of a property of the copying type that means the same as the expression its getter returns:
/// <c>public int FreeSize =&gt; _buffer.Length - _writePos;</c> read as <c>FreeSize</c> or <c>this.FreeSize</c> in a method
/// of that type is <c>_buffer.Length - _writePos</c>, so a guard <c>if (count &gt; FreeSize) return false;</c> bounds the
/// copy as the inline guard would (a ServerCore-style receive or send buffer).
/// </summary>
/// <remarks>
/// Sound only where the getter that runs is the one read and it reads what the inline expression would: the property is
/// not virtual, abstract, an override, extern, an indexer, by-ref or an explicit interface implementation, it is declared in
/// the type the reading method is in (its original definition), it is read on <c>this</c> (implicitly or not), or statically
/// for a static property, and its getter is one <c>return</c> (an expression body, <c>get =&gt; ...;</c> or
/// <c>get { return ...; }</c>) of a <see cref="LinearForm"/> made only of constants, fields of <c>this</c> (or static ones)
/// and the <c>Length</c> of an array field: no calls, no other properties. An auto-property has no such getter. The getter is
/// read from the semantic model of the reading operation, so only when the property is declared in the same syntax tree (in
/// another part of a partial type it is not substituted). Asked only for a comparison operand that is a property reference,
/// and remembered per property (symbols belong to one compilation).
/// </remarks>
internal static class PropertyGetters
{
    private sealed class Getter
    {
        public Getter(LinearForm? form) => Form = form;

        public LinearForm? Form { get; }
    }

    private static readonly ConditionalWeakTable<IPropertySymbol, Getter> Forms = new();

    /// <summary>The form of the getter's expression when <paramref name="operation"/> is such a read, else <c>null</c>.</summary>
    public static LinearForm? FormOf(IOperation? operation, CancellationToken cancellationToken)
    {
        if (operation is not IPropertyReferenceOperation reference)
        {
            return null;
        }

        var property = reference.Property;
        if (property.Parameters.Length != 0 || property.IsVirtual || property.IsAbstract || property.IsOverride || property.IsExtern
            || property.ReturnsByRef || property.ReturnsByRefReadonly || !property.ExplicitInterfaceImplementations.IsEmpty
            || property.GetMethod is null
            || property.ContainingType is not { TypeKind: TypeKind.Class or TypeKind.Struct } type
            || !IsReadOnOwnType(reference, property, type, cancellationToken))
        {
            return null;
        }

        if (Forms.TryGetValue(property.OriginalDefinition, out var known))
        {
            return known.Form;
        }

        var getterReference = property.GetMethod.DeclaringSyntaxReferences is { Length: 1 } references ? references[0] : null;
        var model = reference.SemanticModel;
        if (getterReference is null || model is null || getterReference.SyntaxTree != model.SyntaxTree)
        {
            // Declared elsewhere (another part of a partial type): not read, and not remembered, since a read from the
            // getter's own tree can still answer.
            return null;
        }

        var form = ReadGetter(model, getterReference.GetSyntax(cancellationToken), cancellationToken);
        return Forms.GetValue(property.OriginalDefinition, _ => new Getter(form)).Form;
    }

    /// <summary>
    /// True when <paramref name="reference"/> reads the property on <c>this</c> in a method of the declaring type, or a
    /// static property from a method of its declaring type.
    /// </summary>
    private static bool IsReadOnOwnType(IPropertyReferenceOperation reference, IPropertySymbol property, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (!property.IsStatic)
        {
            // The type of 'this' is the type whose method reads it (the original definition inside a generic type).
            return reference.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } instance
                   && SymbolEqualityComparer.Default.Equals(instance.Type?.OriginalDefinition, type.OriginalDefinition);
        }

        if (reference.Instance is not null || reference.SemanticModel is not { } model)
        {
            return false;
        }

        for (var symbol = model.GetEnclosingSymbol(reference.Syntax.SpanStart, cancellationToken); symbol is not null; symbol = symbol.ContainingSymbol)
        {
            if (symbol is INamedTypeSymbol enclosing)
            {
                return SymbolEqualityComparer.Default.Equals(enclosing.OriginalDefinition, type.OriginalDefinition);
            }
        }

        return false;
    }

    /// <summary>The form the getter's single <c>return</c> gives, when it reads only constants, fields and array field lengths.</summary>
    private static LinearForm? ReadGetter(SemanticModel model, SyntaxNode getter, CancellationToken cancellationToken)
    {
        // An expression-bodied property's getter is its arrow clause (a block of one return); an accessor is a method body.
        var body = model.GetOperation(getter, cancellationToken) switch
        {
            IMethodBodyOperation { BlockBody: { } block, ExpressionBody: null } => block,
            IMethodBodyOperation { BlockBody: null, ExpressionBody: { } expression } => expression,
            IBlockOperation block => block,
            _ => null,
        };
        if (body is not { Operations.Length: 1, Locals.Length: 0 }
            || body.Operations[0] is not IReturnOperation { Kind: OperationKind.Return, ReturnedValue: { } value }
            || !ReadsOnlyFields(value))
        {
            return null;
        }

        return LinearForm.From(value);
    }

    /// <summary>
    /// True when <paramref name="value"/> is made of constants, arithmetic, conversions and reads of fields of <c>this</c>
    /// (or static ones) and of the <c>Length</c> of an array field: nothing that runs other code.
    /// </summary>
    private static bool ReadsOnlyFields(IOperation value)
    {
        var stack = new System.Collections.Generic.Stack<IOperation>();
        stack.Push(value);
        var visited = 0;
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            if (++visited > 64)
            {
                return false;
            }

            if (operation.ConstantValue.HasValue)
            {
                continue;
            }

            switch (operation)
            {
                case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } }:
                    continue;
                case IPropertyReferenceOperation { Property: { Name: "Length" or "LongLength", Parameters.Length: 0 }, Instance: { } instance }
                    when LinearForm.Strip(instance) is IFieldReferenceOperation { Type: IArrayTypeSymbol } field:
                    stack.Push(field);
                    continue;
                case IBinaryOperation { OperatorMethod: null }:
                case IUnaryOperation { OperatorMethod: null }:
                case IConversionOperation { OperatorMethod: null }:
                case IParenthesizedOperation:
                    foreach (var child in operation.ChildOperations)
                    {
                        stack.Push(child);
                    }

                    continue;
                default:
                    return false;
            }
        }

        return true;
    }
}

using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// A read of a property of the copying type that means the same as the expression its getter returns:
/// <c>public int FreeSize =&gt; _buffer.Length - _writePos;</c> read as <c>FreeSize</c> or <c>this.FreeSize</c> in a method
/// of that type is <c>_buffer.Length - _writePos</c>, so a guard <c>if (count &gt; FreeSize) return false;</c> bounds the
/// copy as the inline guard would (a ServerCore-style receive or send buffer). A call of a parameterless method of the
/// type whose body is such a return (<c>private int Room() =&gt; store.Length - filled;</c>) is read the same way, under the
/// same conditions (not virtual, abstract, an override, extern, generic or partial without a body).
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

    private static readonly ConditionalWeakTable<ISymbol, Getter> Forms = new();

    /// <summary>
    /// The form of the getter's expression when <paramref name="operation"/> is such a read (or a call of such a method),
    /// else <c>null</c>.
    /// </summary>
    public static LinearForm? FormOf(IOperation? operation, CancellationToken cancellationToken)
    {
        ISymbol member;
        IMethodSymbol? body;
        IOperation? instance;
        switch (operation)
        {
            case IPropertyReferenceOperation reference:
                var property = reference.Property;
                if (property.Parameters.Length != 0 || property.IsVirtual || property.IsAbstract || property.IsOverride || property.IsExtern
                    || property.ReturnsByRef || property.ReturnsByRefReadonly || !property.ExplicitInterfaceImplementations.IsEmpty)
                {
                    return null;
                }

                (member, body, instance) = (property, property.GetMethod, reference.Instance);
                break;

            // int Room() => store.Length - filled;  read as Room(): the same as a property with that getter.
            case IInvocationOperation invocation:
                var method = invocation.TargetMethod;
                if (method.Parameters.Length != 0 || method.IsGenericMethod || method.MethodKind != MethodKind.Ordinary
                    || method.IsVirtual || method.IsAbstract || method.IsOverride || method.IsExtern || method.IsPartialDefinition
                    || method.ReturnsByRef || method.ReturnsByRefReadonly || !method.ExplicitInterfaceImplementations.IsEmpty)
                {
                    return null;
                }

                (member, body, instance) = (method, method, invocation.Instance);
                break;
            default:
                return null;
        }

        if (body is null
            || member.ContainingType is not { TypeKind: TypeKind.Class or TypeKind.Struct } type
            || operation.SemanticModel is not { } model
            || !IsReadOnOwnType(operation, member, instance, type, cancellationToken))
        {
            return null;
        }

        if (Forms.TryGetValue(member.OriginalDefinition, out var known))
        {
            return known.Form;
        }

        var getterReference = body.DeclaringSyntaxReferences is { Length: 1 } references ? references[0] : null;
        if (getterReference is null || getterReference.SyntaxTree != model.SyntaxTree)
        {
            // Declared elsewhere (another part of a partial type): not read, and not remembered, since a read from the
            // getter's own tree can still answer.
            return null;
        }

        var form = ReadGetter(model, getterReference.GetSyntax(cancellationToken), cancellationToken);
        return Forms.GetValue(member.OriginalDefinition, _ => new Getter(form)).Form;
    }

    /// <summary>
    /// True when <paramref name="read"/> reads the property (or calls the method) on <c>this</c> in a method of the
    /// declaring type, or a static one from a method of its declaring type.
    /// </summary>
    private static bool IsReadOnOwnType(IOperation read, ISymbol member, IOperation? instance, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (!member.IsStatic)
        {
            // The type of 'this' is the type whose method reads it (the original definition inside a generic type).
            return instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } self
                   && SymbolEqualityComparer.Default.Equals(self.Type?.OriginalDefinition, type.OriginalDefinition);
        }

        if (instance is not null || read.SemanticModel is not { } model)
        {
            return false;
        }

        for (var symbol = model.GetEnclosingSymbol(read.Syntax.SpanStart, cancellationToken); symbol is not null; symbol = symbol.ContainingSymbol)
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
        // An expression-bodied property's getter is its arrow clause (a block of one return); an accessor or a method is a
        // method body.
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

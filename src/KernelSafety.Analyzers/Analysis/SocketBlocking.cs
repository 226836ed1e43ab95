using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KernelSafety.Analyzers.Analysis;

/// <summary>
/// Facts about blocking mode: which socket variable an assignment <c>x.Blocking = false</c> (or the
/// object initializer <c>new Socket(...) { Blocking = false }</c>) makes non-blocking, and which
/// variable a call's receiver is.
/// </summary>
internal static class SocketBlocking
{
    /// <summary>
    /// When <paramref name="assignment"/> is <c>x.Blocking = ...</c> on a <see cref="System.Net.Sockets.Socket"/>,
    /// the symbol of <c>x</c> (local, parameter, field or property), with <paramref name="nonBlocking"/> true when the
    /// value is the constant <c>false</c>; else null.
    /// </summary>
    public static ISymbol? GetBlockingTarget(ISimpleAssignmentOperation assignment, KnownSymbols symbols, out bool nonBlocking)
    {
        nonBlocking = false;
        if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Blocking" } property
            || !KnownSymbols.IsOrDerivesFrom(property.Property.ContainingType, symbols.Socket))
        {
            return null;
        }

        nonBlocking = assignment.Value.ConstantValue is { HasValue: true, Value: false };
        if (property.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver })
        {
            // new Socket(...) { Blocking = false }: the variable the created socket is stored in.
            IOperation? current = property.Instance;
            while (current is not null and not IObjectCreationOperation)
            {
                current = current.Parent;
            }

            if (current is null)
            {
                return null;
            }

            var stored = ResultUse.SkipConversions(current);
            return stored.Parent switch
            {
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                ISimpleAssignmentOperation target when target.Value == stored => GetVariable(target.Target),
                IFieldInitializerOperation { InitializedFields.Length: 1 } field => field.InitializedFields[0],
                IPropertyInitializerOperation { InitializedProperties.Length: 1 } initialized => initialized.InitializedProperties[0],
                _ => null,
            };
        }

        return GetVariable(property.Instance);
    }

    /// <summary>The local, parameter, field or property that <paramref name="operation"/> reads, else null.</summary>
    public static ISymbol? GetVariable(IOperation? operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Property,
            _ => null,
        };
    }
}

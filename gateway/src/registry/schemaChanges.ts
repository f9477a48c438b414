import {
  findBreakingChanges,
  findDangerousChanges,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLSchema,
} from 'graphql';

export interface SchemaChange {
  type: string;
  description: string;
}

/** How the API schema clients see changes: graphql-js classifies breaking and dangerous changes; additions are safe. */
export interface SchemaChanges {
  breaking: SchemaChange[];
  dangerous: SchemaChange[];
  safe: SchemaChange[];
}

export function diffSchemas(before: GraphQLSchema, after: GraphQLSchema): SchemaChanges {
  const safe: SchemaChange[] = [];
  const oldTypes = before.getTypeMap();
  for (const [name, type] of Object.entries(after.getTypeMap())) {
    if (name.startsWith('__')) continue;
    const old = oldTypes[name];
    if (!old) {
      safe.push({ type: 'TYPE_ADDED', description: `${name} was added.` });
      continue;
    }
    const fieldsOf = (t: typeof type) => (isObjectType(t) || isInterfaceType(t) || isInputObjectType(t) ? t.getFields() : undefined);
    const newFields = fieldsOf(type);
    const oldFields = fieldsOf(old);
    if (!newFields || !oldFields) continue;
    for (const field of Object.keys(newFields)) {
      // A new required input field is breaking, and graphql-js reports it as such.
      if (!(field in oldFields) && !isInputObjectType(type)) safe.push({ type: 'FIELD_ADDED', description: `${name}.${field} was added.` });
    }
  }
  return {
    breaking: findBreakingChanges(before, after).map(({ type, description }) => ({ type, description })),
    dangerous: findDangerousChanges(before, after).map(({ type, description }) => ({ type, description })),
    safe,
  };
}

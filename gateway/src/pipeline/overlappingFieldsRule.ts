import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  typeFromAST,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import { collectFields } from '../graphql/collectFields';
import { fragmentsOf } from '../graphql/fragmentsOf';

/**
 * Most field nodes a document's check may visit, counting each set's fields once per pass. Far above
 * what the operation limits let through (1,000 expanded selections by default); it bounds the work
 * when an operator turned those limits off.
 */
const MAX_WORK = 200_000;
/**
 * The spec's "Field Selection Merging" rule, checked the way XING described
 * (https://tech.new-work.se/graphql-overlapping-fields-can-be-merged-fast-ea6e92e0a01) and Apollo
 * Router and Sangria do: group the fields of a selection set by response name, and check each group
 * against its first field, instead of comparing fields and fragments pair by pair as graphql-js's
 * OverlappingFieldsCanBeMergedRule does. graphql-js's pairwise comparison is quadratic in the number
 * of fragments spread into one selection set (900 one-field fragments cost it about 90 ms before its
 * own budget aborts validation), and a gateway must not spend that on one request.
 *
 * The rule refuses exactly the documents graphql-js's refuses (a differential test holds it to that)
 * and words each error as graphql-js does. Where graphql-js reports every conflicting pair of a
 * group of fields, this rule reports the first (so 3,000 fragments against one make one error, not
 * a hundred and an abort).
 *
 * Two passes over each operation, as the spec's algorithm has:
 * - same response shape: fields with one response name have the same list/non-null wrapping and the
 *   same leaf type, at every level below, whatever their parent types;
 * - same field for common parents: fields with one response name whose parent types could be the
 *   same object (the same type, or one of them abstract) select the same field with the same
 *   arguments, and so on below, within each group of such fields.
 * A selection set is a set of field nodes: a fragment spread twice into one set adds nothing new,
 * and a set already checked (the same fields, reached through another path) is not checked again.
 * That keeps the work linear in the distinct sets, which a chain of fragments cannot multiply.
 */
export function overlappingFieldsCanMergeRule(maxWork = MAX_WORK): (context: ValidationContext) => ASTVisitor {
  return (context) => overlappingFieldsVisitor(new MergeChecker(context, maxWork), context);
}

/** The rule with its default bound on work. */
export const OverlappingFieldsCanMergeRule = overlappingFieldsCanMergeRule();

function overlappingFieldsVisitor(checker: MergeChecker, context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      const root = context.getSchema().getRootType(operation.operation);
      if (root) checker.checkOperation(operation.selectionSet, root);
      return false;
    },
    // Conflicts inside a fragment surface where an operation spreads it. An unused fragment is
    // refused by NoUnusedFragmentsRule.
    FragmentDefinition: () => false,
  };
}

/** graphql-js cuts a conflict's detail at this length; so do we. */
const MAX_DETAIL = 1000;

/** One field node, with what the schema says of it. A node's parent type is fixed by the document. */
interface FieldInfo {
  readonly id: number;
  readonly node: FieldNode;
  readonly responseName: string;
  readonly parentType: GraphQLCompositeType | undefined;
  readonly def: GraphQLField<unknown, unknown> | undefined;
  /** The fields selected under this one, fragments expanded; computed when first needed. */
  subfields?: FieldInfo[];
  argumentsKey?: string;
}

/** A field as reached in a set: the field of the level above it came through, for the message. */
interface Reached {
  readonly info: FieldInfo;
  readonly from: Reached | undefined;
}

class ValidationAborted extends Error {}

class MergeChecker {
  private readonly infos = new Map<FieldNode, FieldInfo>();
  private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  private readonly shapeChecked = new Set<string>();
  private readonly parentsChecked = new Set<string>();
  private readonly reported = new Set<string>();
  private work = 0;
  private aborted = false;

  constructor(
    private readonly context: ValidationContext,
    private readonly maxWork: number,
  ) {
    // Of two fragments with one name (UniqueFragmentNamesRule reports them), the first is checked.
    this.fragments = fragmentsOf(context.getDocument(), 'first');
  }

  checkOperation(selectionSet: SelectionSetNode, root: GraphQLCompositeType): void {
    if (this.aborted) return;
    try {
      const top = this.collect(selectionSet, root).map((info) => ({ info, from: undefined }));
      // Common parents first: a pair of fields that differ in both name and type is then reported
      // for the names, as graphql-js does.
      this.sameForCommonParents(top);
      this.sameResponseShape(top);
    } catch (error) {
      if (!(error instanceof ValidationAborted)) throw error;
      this.aborted = true;
      this.context.reportError(new GraphQLError('Validation aborted: the operation has too many overlapping fields to check.'));
    }
  }

  /** Every pair of fields with one response name has the same shape, at every level below. */
  private sameResponseShape(top: Reached[]): void {
    this.eachSet(top, this.shapeChecked, (set, below) => {
      for (const group of byResponseName(set)) {
        // Fields without a definition (`__typename`, unknown fields) have no shape to compare; among
        // the others, having the same shape is an equivalence, so comparing each with one suffices.
        const typed = group.filter((r) => r.info.def);
        for (let i = 1; i < typed.length; i++) {
          const type1 = typed[0].info.def!.type;
          const type2 = typed[i].info.def!.type;
          if (typesConflict(type1, type2)) {
            this.report(typed[0], typed[i], `they return conflicting types "${String(type1)}" and "${String(type2)}"`);
            break;
          }
        }
        below(group);
      }
    });
  }

  /** Fields with one response name whose parents may be one object select one field, one way. */
  private sameForCommonParents(top: Reached[]): void {
    this.eachSet(top, this.parentsChecked, (set, below) => {
      for (const group of byResponseName(set)) {
        const commons = byCommonParents(group);
        if (commons.length > 1) this.spend(commons.length * group.length);
        for (const common of commons) {
          for (let i = 1; i < common.length; i++) {
            const reason = this.differentField(common[0].info, common[i].info);
            if (reason) {
              this.report(common[0], common[i], reason);
              break;
            }
          }
          below(common);
        }
      }
    });
  }

  /**
   * Checks `top`, then the merged subfields of each group `check` passes to `below`, level after
   * level, each set once. A stack of sets, not recursion: fragments can nest thousands of levels.
   */
  private eachSet(top: Reached[], checked: Set<string>, check: (set: Reached[], below: (group: Reached[]) => void) => void): void {
    const pending = [top];
    while (pending.length > 0) {
      const set = pending.pop()!;
      if (!this.firstVisit(checked, set)) continue;
      const next: Reached[][] = [];
      check(set, (group) => {
        if (group.length > 1 || group[0].info.node.selectionSet) next.push(this.subfieldsOf(group));
      });
      // Depth first, in the document's order.
      for (let i = next.length - 1; i >= 0; i--) pending.push(next[i]);
    }
  }

  private differentField(a: FieldInfo, b: FieldInfo): string | undefined {
    if (a.node.name.value !== b.node.name.value) {
      return `"${abbreviate(a.node.name.value)}" and "${abbreviate(b.node.name.value)}" are different fields`;
    }
    return argumentsKey(a) === argumentsKey(b) ? undefined : 'they have differing arguments';
  }

  /** The union of the fields selected under each of `fields`, each node once. */
  private subfieldsOf(fields: Reached[]): Reached[] {
    const seen = new Set<FieldInfo>();
    const merged: Reached[] = [];
    for (const field of fields) {
      field.info.subfields ??= this.subfields(field.info);
      for (const info of field.info.subfields) {
        if (seen.has(info)) continue;
        seen.add(info);
        merged.push({ info, from: field });
      }
    }
    return merged;
  }

  private subfields(info: FieldInfo): FieldInfo[] {
    const type = info.def && getNamedType(info.def.type);
    return info.node.selectionSet && isCompositeType(type) ? this.collect(info.node.selectionSet, type) : [];
  }

  /**
   * The fields of a selection set with its inline fragments and fragment spreads expanded, each node
   * once: a fragment spread again into the same set adds no field (as in graphql-js's collectFields).
   */
  private collect(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType | undefined): FieldInfo[] {
    const fields: FieldInfo[] = [];
    const schema = this.context.getSchema();
    // Fields come out in the document's order, so a group's first field is the one written first,
    // as graphql-js reports it.
    collectFields(selectionSet, parentType, this.fragments, {
      field: (sel, type) => {
        fields.push(this.infoOf(sel, type));
        this.spend(1);
      },
      fragment: (typeCondition, type) => {
        const condition = typeCondition ? typeFromAST(schema, typeCondition) : type;
        return isCompositeType(condition) ? condition : undefined;
      },
    });
    return fields;
  }

  private infoOf(node: FieldNode, parentType: GraphQLCompositeType | undefined): FieldInfo {
    let info = this.infos.get(node);
    if (!info) {
      // Only objects and interfaces declare fields; `__typename` and unknown fields have no
      // definition, so their shape is not compared (as in graphql-js).
      const def = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[node.name.value] : undefined;
      info = { id: this.infos.size, node, responseName: node.alias?.value ?? node.name.value, parentType, def };
      this.infos.set(node, info);
    }
    return info;
  }

  /** Whether this set of fields (in any order, through any path) is seen for the first time. */
  private firstVisit(checked: Set<string>, set: Reached[]): boolean {
    if (set.length === 0) return false;
    this.spend(set.length);
    const key = set
      .map((r) => r.info.id)
      .sort((a, b) => a - b)
      .join(',');
    if (checked.has(key)) return false;
    checked.add(key);
    return true;
  }

  private spend(units: number): void {
    this.work += units;
    if (this.work > this.maxWork) throw new ValidationAborted();
  }

  /**
   * Reports a conflict as graphql-js words it: at the highest level where the two fields' paths
   * part, naming the subfields down to the pair that conflicts.
   */
  private report(a: Reached, b: Reached, reason: string): void {
    const key = a.info.id < b.info.id ? `${a.info.id},${b.info.id}` : `${b.info.id},${a.info.id}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const path1 = pathOf(a);
    const path2 = pathOf(b);
    let top = 0;
    while (path1[top].node === path2[top].node) top++;
    let detail = reason;
    for (let i = path1.length - 1; i > top; i--) detail = `subfields "${abbreviate(path1[i].responseName)}" conflict because ${detail}`;
    this.context.reportError(
      new GraphQLError(
        `Fields "${abbreviate(path1[top].responseName)}" conflict because ${abbreviate(detail)}. Use different aliases on the fields to fetch both if this was intentional.`,
        { nodes: [...path1.slice(top), ...path2.slice(top)].map((info) => info.node) },
      ),
    );
  }
}

/** The fields from the operation's root down to `reached`. */
function pathOf(reached: Reached): FieldInfo[] {
  const path: FieldInfo[] = [];
  for (let at: Reached | undefined = reached; at; at = at.from) path.push(at.info);
  return path.reverse();
}

function byResponseName(set: Reached[]): Reached[][] {
  const groups = new Map<string, Reached[]>();
  for (const reached of set) {
    const group = groups.get(reached.info.responseName);
    if (group) group.push(reached);
    else groups.set(reached.info.responseName, [reached]);
  }
  return [...groups.values()];
}

/**
 * The fields that may apply to one object at once: fields on two different object types never do,
 * a field on an interface or union may apply with any other. So one group per object type, each with
 * the fields on abstract types, or one group of the abstract ones if no field is on an object type.
 */
function byCommonParents(group: Reached[]): Reached[][] {
  if (group.length === 1) return [group];
  const objects = new Set<GraphQLCompositeType>();
  for (const reached of group) if (isObjectType(reached.info.parentType)) objects.add(reached.info.parentType);
  if (objects.size <= 1) return [group];
  // In the group's order, so that the first field of each is the one written first.
  return [...objects].map((object) => group.filter((r) => r.info.parentType === object || !isObjectType(r.info.parentType)));
}

/** Two types conflict if one value could not be both: list and non-null wrapping, and leaf types, must match. */
function typesConflict(type1: GraphQLOutputType, type2: GraphQLOutputType): boolean {
  if (type1 === type2) return false;
  if (isListType(type1)) return isListType(type2) ? typesConflict(type1.ofType, type2.ofType) : true;
  if (isListType(type2)) return true;
  if (isNonNullType(type1)) return isNonNullType(type2) ? typesConflict(type1.ofType, type2.ofType) : true;
  if (isNonNullType(type2)) return true;
  return isLeafType(type1) || isLeafType(type2);
}

/** The field's arguments in a canonical form: names sorted, input-object fields sorted. */
function argumentsKey(info: FieldInfo): string {
  if (info.argumentsKey === undefined) {
    const args = [...(info.node.arguments ?? [])].sort((a, b) => (a.name.value < b.name.value ? -1 : a.name.value > b.name.value ? 1 : 0));
    info.argumentsKey = JSON.stringify(args.map((arg) => [arg.name.value, valueKey(arg.value)]));
  }
  return info.argumentsKey;
}

/**
 * A value as graphql-js compares it: variables by name, objects with their fields sorted, and a
 * block string apart from a quoted one (graphql-js's own rule tells those apart).
 */
function valueKey(value: ValueNode): unknown {
  switch (value.kind) {
    case Kind.VARIABLE:
      return [value.kind, value.name.value];
    case Kind.LIST:
      return [value.kind, value.values.map(valueKey)];
    case Kind.OBJECT:
      return [
        value.kind,
        [...value.fields].sort((a, b) => (a.name.value < b.name.value ? -1 : a.name.value > b.name.value ? 1 : 0)).map((f) => [f.name.value, valueKey(f.value)]),
      ];
    case Kind.STRING:
      return [value.kind, value.value, value.block === true];
    case Kind.NULL:
      return [value.kind, null];
    default:
      return [value.kind, value.value];
  }
}

function abbreviate(text: string): string {
  return text.length > MAX_DETAIL ? text.slice(0, MAX_DETAIL) + '...' : text;
}

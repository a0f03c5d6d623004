/**
 * The single-table layout, shared by the DynamoDB adapter, local table creation and the CDK stack.
 * See docs/adr/0001-table-layout.md. No SDK imports here: the CDK app reads it too.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse index of watches by next due time: a tick reads only the due ones. */
  dueIndex: { name: 'due', partitionKey: 'duePk', sortKey: 'dueSk' },
  /** Sparse index of all watches by URL, for listing. */
  watchIndex: { name: 'watches', partitionKey: 'kind', sortKey: 'url' },
} as const;

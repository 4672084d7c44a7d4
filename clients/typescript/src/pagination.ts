// Cursor pages of api.md §1 ({"data": [...], "next_cursor": "..." | null})
// as async iterators.

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * Every item of a paginated list, fetching pages as the loop needs them:
 *
 *   for await (const product of paginate((after) =>
 *       client.GET('/v1/products', { params: { query: { limit: 100, after } } }).then((r) => r.data!))) { … }
 */
export async function* paginate<T>(
  fetchPage: (after: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let after: string | undefined;
  do {
    const page = await fetchPage(after);
    yield* page.data;
    after = page.next_cursor ?? undefined;
  } while (after !== undefined);
}

/** Every page of a paginated list (for bulk work a page at a time). */
export async function* pages<T>(
  fetchPage: (after: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<Page<T>, void, undefined> {
  let after: string | undefined;
  do {
    const page = await fetchPage(after);
    yield page;
    after = page.next_cursor ?? undefined;
  } while (after !== undefined);
}

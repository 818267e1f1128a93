// The rows in this folder hold decoded columns; each store reads some of them still encoded in its
// own way (SQLite: JSON text, 0/1 flags; PostgreSQL: json as text) and decodes them before mapping.

/** R as a store's driver returns it: the columns named in E still encoded as E says. */
export type Encoded<R, E extends { [K in keyof E]: K extends keyof R ? unknown : never }> = Omit<R, keyof E> & E;

import { type ReactNode } from 'react';

/** The dense table of the overview panels and the Tenants page: a header row of `columns`, then the rows. */
export function CompactTable({ columns, children }: { columns: string[]; children: ReactNode }) {
  return (
    <table className="table compact">
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

// The metadata proxy of the simulated host (simulated.ts), recorded.
import type { MetadataTable } from '../../schema/model.ts';
import type { MetadataService } from '../services.ts';

/** The metadata proxy, recorded. */
export class FakeMetadata implements MetadataService {
  tables: MetadataTable[] = [];
  closed = false;
  async apply(table: MetadataTable): Promise<void> {
    this.tables.push(table);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

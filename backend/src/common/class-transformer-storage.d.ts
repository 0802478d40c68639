// class-transformer keeps its metadata storage out of its index; the fast validation path reads
// it (which class a nested property becomes, and whether any property is transformed).
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}

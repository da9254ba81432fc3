// Types of packed.mjs, for the tests that use it.
export declare const root: string;
export declare function packTarball(): { tarball: string; files: string[] };
export declare function tarball(): string;
export declare function projectWithPackage(name: string, files?: Record<string, string>, packageJson?: Record<string, unknown>): string;
export declare function copyInto(dir: string, from: string, to?: string): void;
export declare function bin(tool: string): string;

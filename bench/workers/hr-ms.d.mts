export declare const hrMs: () => number;

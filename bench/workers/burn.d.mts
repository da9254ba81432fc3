export declare function burn(iterations: number): number;

declare module 'asl-validator' {
  const validator: (
    definition: unknown,
    opts?: { checkPaths?: boolean; checkArn?: boolean },
  ) => { isValid: boolean; errors: unknown[]; errorsText: (sep?: string) => string };
  export default validator;
}

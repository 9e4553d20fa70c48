declare module 'zipcode-to-timezone' {
  const zipToTimeZone: { lookup(zip: string): string | null };
  export default zipToTimeZone;
}

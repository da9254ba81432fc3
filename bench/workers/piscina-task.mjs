// The same tiny task for piscina.
export default function echo(value) {
  return value;
}

import { afterEach, describe, expect, it } from 'vitest';
import { checkJava, JavaMissingError } from '../../infra/local/dynamodb-local';

const path = process.env.PATH;
afterEach(() => {
  process.env.PATH = path;
});

describe('npm start without Java', () => {
  it('finds the machine’s Java 17+', () => {
    expect(checkJava()).toMatch(/version "(1[7-9]|[2-9]\d)/);
  });
  it('says clearly how to install Java when there is none', () => {
    process.env.PATH = '/nonexistent';
    expect(() => checkJava()).toThrow(JavaMissingError);
    expect(() => checkJava()).toThrow(/Java 17 or newer.*apt-get install -y openjdk-17-jre-headless/);
  });
});

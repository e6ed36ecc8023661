import type { OpenAPIObject } from '@nestjs/swagger';
import { EXAMPLE_MODEL, withServedModel } from './openapi-examples';

const document = {
  openapi: '3.0.0',
  info: { title: 'anuvaad', version: EXAMPLE_MODEL.version },
  paths: {
    '/v1/models/{name}/versions/{version}/translate': {
      post: {
        parameters: [
          { name: 'name', in: 'path', schema: { example: EXAMPLE_MODEL.name, type: 'string' } },
          { name: 'version', in: 'path', example: EXAMPLE_MODEL.version },
          { name: 'other', in: 'query', schema: { example: EXAMPLE_MODEL.version } },
        ],
        responses: {
          '404': { content: { 'application/json': { example: { message: 'version "1"' } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      TranslateResponseDto: {
        properties: {
          model: { example: { name: EXAMPLE_MODEL.name, version: EXAMPLE_MODEL.version } },
          model_version: { type: 'string', example: EXAMPLE_MODEL.version },
          versions: { type: 'array', example: [EXAMPLE_MODEL.version] },
          beam_size: { type: 'integer', example: 1 },
        },
      },
    },
  },
} as unknown as OpenAPIObject;

/** The parts of the document these tests read. */
interface Patched {
  info: { version: string };
  paths: Record<
    string,
    {
      post: {
        parameters: { example?: unknown; schema?: { example?: unknown } }[];
        responses: Record<string, { content: Record<string, { example: { message: string } }> }>;
      };
    }
  >;
  components: { schemas: Record<string, { properties: Record<string, { example: unknown }> }> };
}

describe('withServedModel', () => {
  const patched = JSON.parse(
    JSON.stringify(withServedModel(document, { name: 'tiny', version: '3' })),
  ) as Patched;

  it('fills path parameters with the served model and version', () => {
    const [name, version, other] =
      patched.paths['/v1/models/{name}/versions/{version}/translate'].post.parameters;
    expect(name.schema?.example).toBe('tiny');
    expect(version.example).toBe('3');
    // a parameter that is neither keeps its example
    expect(other.schema?.example).toBe('1');
  });

  it('fills schema properties and example payloads', () => {
    const props = patched.components.schemas.TranslateResponseDto.properties;
    expect(props.model.example).toEqual({ name: 'tiny', version: '3' });
    expect(props.model_version.example).toBe('3');
    expect(props.versions.example).toEqual(['3']);
    expect(props.beam_size.example).toBe(1);
  });

  it("leaves the API's own version and free text alone", () => {
    expect(patched.info.version).toBe('1');
    const notFound =
      patched.paths['/v1/models/{name}/versions/{version}/translate'].post.responses['404'];
    expect(notFound.content['application/json'].example.message).toBe('version "1"');
  });

  it('changes nothing before a version is known', () => {
    expect(withServedModel(document, { name: EXAMPLE_MODEL.name })).toEqual(document);
  });
});

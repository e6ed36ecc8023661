import { InferenceRequestError, parseInferenceRequest } from './inference-protocol';

const tensor = (data: unknown[], shape: unknown = [data.length], extra = {}) => ({
  name: 'text',
  datatype: 'BYTES',
  shape,
  data,
  ...extra,
});

describe('parseInferenceRequest', () => {
  it('takes the texts, id and generation parameters', () => {
    expect(
      parseInferenceRequest({
        id: 'r1',
        parameters: { beam_size: 4, max_new_tokens: 32 },
        inputs: [tensor(['Hello.', 'Bye.'])],
        outputs: [{ name: 'translation' }],
      }),
    ).toEqual({ id: 'r1', texts: ['Hello.', 'Bye.'], shape: [2], beamSize: 4, maxNewTokens: 32 });
  });

  it('accepts row-major nested data matching a multi-dimensional shape', () => {
    expect(parseInferenceRequest({ inputs: [tensor([['a'], ['b']], [2, 1])] })).toMatchObject({
      texts: ['a', 'b'],
      shape: [2, 1],
    });
  });

  it('accepts the binary_data flags of standard clients when they ask for JSON', () => {
    expect(
      parseInferenceRequest({
        parameters: { binary_data_output: false, beam_size: 2 },
        inputs: [tensor(['a'], [1], { parameters: { binary_data: false, content_type: 'str' } })],
        outputs: [{ name: 'translation', parameters: { binary_data: false, classification: 0 } }],
      }),
    ).toEqual({ id: undefined, texts: ['a'], shape: [1], beamSize: 2, maxNewTokens: undefined });
  });

  it.each([
    [{ inputs: [tensor(['a'])], parameters: { binary_data_output: true } }],
    [
      {
        inputs: [tensor(['a'])],
        outputs: [{ name: 'translation', parameters: { binary_data: true } }],
      },
    ],
    [
      {
        inputs: [
          { name: 'text', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 9 } },
        ],
      },
    ],
    [{ inputs: [tensor(['a'], [1], { parameters: { binary_data: true } })] }],
  ])('refuses binary tensor data in %j with a clear message', (body) => {
    expect(() => parseInferenceRequest(body)).toThrow(InferenceRequestError);
    expect(() => parseInferenceRequest(body)).toThrow(
      /binary tensor data extension is not supported; send JSON tensors/,
    );
  });

  it.each([
    [null, /JSON object/],
    [
      { inputs: [tensor(['a'])], parameters: { binary_data_output: 'yes' } },
      /"binary_data_output" must be a boolean/,
    ],
    [
      {
        inputs: [tensor(['a'])],
        outputs: [{ name: 'translation', parameters: { classification: 3 } }],
      },
      /classification extension is not supported/,
    ],
    [{ inputs: [tensor(['a'], [1], { parameters: 'x' })] }, /"parameters" must be an object/],
    [{ inputs: [] }, /"inputs" must list one tensor/],
    [
      { inputs: [{ ...tensor(['a']), name: 'input' }] },
      /exactly one input tensor named "text", got "input"/,
    ],
    [{ inputs: [tensor(['a']), tensor(['b'])] }, /exactly one input tensor/],
    [{ inputs: [{ ...tensor(['a']), datatype: 'FP32' }] }, /datatype BYTES, got "FP32"/],
    [{ inputs: [tensor(['a'], [2])] }, /has 1 elements but shape \[2\] needs 2/],
    [{ inputs: [tensor(['a'], [-1])] }, /shape of non-negative integers/],
    [{ inputs: [tensor(['a'], 'x')] }, /shape of non-negative integers/],
    [{ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1] }] }, /needs "data"/],
    [{ inputs: [tensor([], [0])] }, /holds no text/],
    [{ inputs: [tensor(['a', ' '])] }, /element 1 must be a non-empty string/],
    [{ inputs: [tensor(['a', 3])] }, /element 1 must be a non-empty string/],
    [{ id: 5, inputs: [tensor(['a'])] }, /"id" must be a string/],
    [{ id: 'req-\udc00', inputs: [tensor(['a'])] }, /"id" holds an unpaired UTF-16 surrogate/],
    [{ inputs: [tensor(['a'])], outputs: [{ name: 'logits' }] }, /only output .* "translation"/],
    [
      { inputs: [tensor(['a'])], outputs: ['translation'] },
      /"outputs" must be an array of objects, e.g. \[\{"name": "translation"\}\]/,
    ],
    [
      { inputs: [tensor(['a'])], parameters: { temperature: 1 } },
      /unknown parameter "temperature"/,
    ],
    [
      { inputs: [tensor(['a'])], parameters: { beam_size: 9 } },
      /beam_size" must be an integer from 1 to 8/,
    ],
    [{ inputs: [tensor(['a'])], parameters: { max_new_tokens: 0.5 } }, /max_new_tokens/],
    [{ inputs: [tensor(['a'])], parameters: [] }, /"parameters" must be an object/],
  ])('rejects %j', (body, message) => {
    expect(() => parseInferenceRequest(body)).toThrow(InferenceRequestError);
    expect(() => parseInferenceRequest(body)).toThrow(message);
  });
});

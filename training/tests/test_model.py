import torch

from training.model import ModelConfig, Seq2SeqTransformer


def small_model():
    torch.manual_seed(0)
    model = Seq2SeqTransformer(ModelConfig(vocab_size=50, d_model=32, heads=4, ffn=64, encoder_layers=2,
                                           decoder_layers=2, dropout=0.0, pad_id=49, eos_id=0, unk_id=1))
    return model.eval()


def test_cached_decoding_equals_full_recomputation():
    model = small_model()
    src = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 49]])
    mask = (src != 49).long()
    dec = torch.tensor([[49, 10, 11, 12], [49, 13, 14, 15]])
    with torch.no_grad():
        cross = model.cross_kv(model.encode(src, mask))
        full, _ = model.decode(dec, mask, cross)
        past, steps = None, []
        for t in range(dec.shape[1]):
            logits, past = model.decode(dec[:, t:t + 1], mask, cross, past)
            steps.append(logits[:, 0])
    assert torch.allclose(full, torch.stack(steps, dim=1), atol=1e-5)


def test_padding_does_not_change_a_sentence_translation():
    model = small_model()
    alone = model.greedy(torch.tensor([[8, 9, 0]]), torch.ones(1, 3, dtype=torch.long), 6)
    batched = model.greedy(torch.tensor([[8, 9, 0, 49, 49], [5, 6, 7, 8, 0]]),
                           torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]), 6)
    assert batched[0] == alone[0]
    assert all(49 not in row for row in batched)  # pad is never generated


def test_output_projection_is_tied_to_the_embedding():
    model = small_model()
    x = torch.randn(2, 3, 32)
    assert torch.allclose(model.lm_head(x), x @ model.embed.weight.T, atol=1e-5)


def test_bf16_autocast_loss_tracks_fp32_and_still_learns():
    from training.train import training_loss
    model = small_model().train()
    tensors = {"src": torch.tensor([[5, 6, 7, 0], [8, 9, 0, 49]]),
               "dec_in": torch.tensor([[49, 10, 11, 12], [49, 13, 14, 49]]),
               "labels": torch.tensor([[10, 11, 12, 0], [13, 14, 0, 49]])}
    tensors["src_mask"] = (tensors["src"] != 49).long()
    fp32, bf16 = training_loss(model, tensors, 0.1), training_loss(model, tensors, 0.1, bf16=True)
    assert bf16.dtype == torch.float32
    assert abs(float(bf16) - float(fp32)) < 0.05 * float(fp32)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        loss = training_loss(model, tensors, 0.0, bf16=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss) < 0.5 * float(fp32)
    assert all(p.dtype == torch.float32 for p in model.parameters())  # master weights stay fp32

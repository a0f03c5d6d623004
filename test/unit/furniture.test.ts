import { describe, expect, it } from 'vitest';
import { commentName, isCommentLine, isFurniture } from '../../functions/core/detect/furniture.js';

describe('isFurniture', () => {
  it.each([
    'Updated 17 minutes ago · 1,866 views',
    '3 hours ago',
    'Posted just now',
    '4 min read',
    'Advertisement',
    'Story continues below advertisement',
    '1.2K shares | 17 comments',
  ])('treats %j as furniture', (text) => {
    expect(isFurniture(text)).toBe(true);
  });

  it.each([
    'The council voted 7 to 2 on Tuesday.',
    'Three hours ago, the river crested at 9 meters, officials said.',
    'The video has 2 million views, police said.',
    'Advertisement revenue fell 12 percent.',
  ])('keeps article text %j', (text) => {
    expect(isFurniture(text)).toBe(false);
  });
});

describe('comment sections', () => {
  it.each([
    'Comments (12)',
    '12 Comments',
    '1 comment',
    '3 thoughts on “Harbor dredging plan stalls”',
    'Leave a Reply',
    'Join the conversation',
    '12 commentaires',
    'Laisser un commentaire',
    'Kommentare (4)',
    'Diskutieren Sie mit',
    'Deja un comentario',
    '5 comentarios',
    'Deixe seu comentário',
    'Comentários',
  ])('recognises the comment heading %j', (text) => {
    expect(isCommentLine(text)).toBe(true);
    expect(isFurniture(text)).toBe(true);
  });

  it.each([
    'Comment',
    'Kommentar',
    'Public comments',
    'Comments from the fishing fleet',
    'Reactions',
    'What do you think?',
    'The minister declined to comment on the report.',
    'Leave a comment, the form said, but many fishermen came in person instead.',
  ])('leaves %j alone (an opinion label or article text)', (text) => {
    expect(isCommentLine(text)).toBe(false);
  });

  it('names comment containers, strongly for comment systems and weakly for a bare "comment"', () => {
    expect(commentName('comments-area default-max-width')).toBe('strong');
    expect(commentName('commentlist')).toBe('strong');
    expect(commentName('disqus_thread')).toBe('strong');
    expect(commentName('coral-stream')).toBe('strong');
    expect(commentName('respond')).toBe('strong');
    expect(commentName('comment even thread-even')).toBe('weak');
    expect(commentName('content--type-comment')).toBe('weak');
    expect(commentName('article-commentary')).toBeUndefined();
    expect(commentName('entry-content')).toBeUndefined();
  });
});

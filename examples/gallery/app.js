import { setupBulkDelete } from "./bulk-delete.js";
import { credentials, request, subscribe } from "./graphql.js";

const PAGE_SIZE = 12;
// Thumbnails are 240 CSS pixels wide in the grid: enough widths for 1x to 3x screens.
const CARD = `fragment Card on Image {
  imageId filename creator meta requireSignedURLs uploaded
  url
  srcset(widths: [240, 480, 720])
  width height aspectRatio
  placeholder { dataURL dominantColor }
}`;
const PAGE = `query GalleryPage($first: Int!, $after: String) {
  images(first: $first, after: $after) {
    edges { node { ...Card } }
    pageInfo { hasNextPage endCursor }
  }
} ${CARD}`;
// With the catalogue ready: search, any order, and the count.
const FOUND = `query GalleryFound($first: Int!, $after: String, $search: String, $orderBy: ImageOrder) {
  images(first: $first, after: $after, search: $search, orderBy: $orderBy) {
    totalCount
    edges { node { ...Card } }
    pageInfo { hasNextPage endCursor }
  }
} ${CARD}`;
const CATALOGUE = `query GalleryCatalogue { catalogue { status } }`;
const CREATE_UPLOAD = `mutation GalleryUpload($input: CreateDirectUploadInput!) {
  createDirectUpload(input: $input) {
    __typename
    ... on CreateDirectUploadPayload { uploadURL image { imageId } }
    ... on MutationError { message }
  }
}`;
const READY = `subscription GalleryReady($imageId: ID!) { imageReady(imageId: $imageId) { ...Card } } ${CARD}`;
const UPDATE = `mutation GalleryEdit($input: UpdateImageInput!) {
  updateImage(input: $input) {
    __typename
    ... on UpdateImagePayload { image { ...Card } }
    ... on MutationError { message }
  }
} ${CARD}`;

const $ = (id) => document.getElementById(id);
const grid = $("grid");
const more = $("more");
const cards = new Map();
let cursor = null;
let hasNext = true;
let loading = false;
/** Search and sort need the catalogue; until it is READY the gallery pages the upstream list. */
let catalogueReady = false;
/** Bumped by each new search or sort: answers for an older one are dropped. */
let generation = 0;

function showMessage(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

/** Field errors other than a private image's srcset (it has no flexible URLs; `url` stands in). */
function realErrors(errors = []) {
  return errors.filter((e) => e.path?.at(-1) !== "srcset");
}

function card(image) {
  const figure = document.createElement("figure");
  figure.className = "card";
  figure.dataset.imageId = image.imageId;
  const img = document.createElement("img");
  img.alt = image.filename ?? image.imageId;
  img.loading = "lazy";
  img.decoding = "async";
  if (image.srcset) {
    img.srcset = image.srcset;
    img.sizes = "(max-width: 600px) 45vw, 240px";
  }
  reserve(img, image);
  if (image.url) img.src = image.url;
  const caption = document.createElement("figcaption");
  const name = document.createElement("strong");
  name.textContent = image.filename ?? image.imageId;
  const who = document.createElement("span");
  who.className = "creator";
  who.textContent = image.creator ?? "no creator";
  caption.append(name, who);
  if (image.requireSignedURLs) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "private";
    badge.title = "Signed URLs: no srcset, one signed URL instead";
    caption.append(badge);
  }
  const edit = document.createElement("button");
  edit.type = "button";
  edit.className = "edit";
  edit.textContent = "Edit";
  edit.addEventListener("click", () => openEditor(image));
  const select = document.createElement("input");
  select.type = "checkbox";
  select.className = "select";
  select.value = image.imageId;
  select.setAttribute("aria-label", `Select ${image.filename ?? image.imageId}`);
  figure.append(select, img, caption, edit);
  return figure;
}

/**
 * The tile takes the image's own shape before a byte of it arrives, with its placeholder (a blurred
 * thumbhash over its average colour) until it loads: nothing moves when it does. Images whose facts
 * are not known yet keep the default 4:3 box, cropped to it.
 */
function reserve(img, image) {
  if (image.width && image.height) {
    img.width = image.width;
    img.height = image.height;
    img.style.aspectRatio = String(image.aspectRatio);
    img.classList.add("sized");
  }
  if (image.placeholder) {
    img.style.backgroundColor = image.placeholder.dominantColor;
    img.style.backgroundImage = `url("${image.placeholder.dataURL}")`;
    img.classList.add("placeheld");
    img.addEventListener("load", () => img.classList.remove("placeheld"), { once: true });
  }
}

function put(image, { first = false } = {}) {
  const element = card(image);
  const old = cards.get(image.imageId);
  if (old) old.replaceWith(element);
  else if (first) grid.prepend(element);
  else grid.append(element);
  cards.set(image.imageId, element);
}

function query() {
  const search = $("search").value.trim();
  const [field, direction] = $("sort").value.split(" ");
  return { search: search || null, orderBy: { field, direction } };
}

function countText(total, search) {
  const images = `${total} image${total === 1 ? "" : "s"}`;
  return search ? `${images} matching “${search}”` : images;
}

async function loadPage() {
  if (loading || !hasNext) return;
  loading = true;
  const started = generation;
  more.textContent = "Loading…";
  try {
    const { search, orderBy } = query();
    const { data, errors } = catalogueReady
      ? await request(FOUND, { first: PAGE_SIZE, after: cursor, search, orderBy })
      : await request(PAGE, { first: PAGE_SIZE, after: cursor });
    if (started !== generation) return;
    if (!data?.images) throw new Error(errors?.map((e) => e.message).join(" ") ?? "no answer");
    for (const edge of data.images.edges) put(edge.node);
    ({ hasNextPage: hasNext, endCursor: cursor } = data.images.pageInfo);
    if (catalogueReady) $("count").textContent = countText(data.images.totalCount, search);
    const shown = realErrors(errors);
    showMessage(shown.length ? shown.map((e) => e.message).join(" ") : "");
    more.textContent = hasNext ? "" : cards.size === 0 ? "No images found." : `All ${cards.size} images shown.`;
  } catch (error) {
    more.textContent = "";
    showMessage(`Could not load images: ${error.message}`);
    hasNext = false;
  } finally {
    if (started === generation) loading = false;
  }
  if (started !== generation) return;
  // The observer reports changes only: one that stayed in view (a tall screen) must be asked again.
  if (hasNext) {
    observer.unobserve(more);
    observer.observe(more);
  }
}

setupBulkDelete(grid, cards);

const observer = new IntersectionObserver(
  (entries) => {
    if (entries.some((entry) => entry.isIntersecting)) void loadPage();
  },
  { rootMargin: "400px" },
);

/** A new search or order: the grid starts again from its first page. */
function restart() {
  generation += 1;
  loading = false;
  cursor = null;
  hasNext = true;
  cards.clear();
  grid.replaceChildren();
  void loadPage();
}

function enableFinding(ready, status) {
  catalogueReady = ready;
  for (const id of ["search", "sort"]) $(id).disabled = !ready;
  $("find").title = ready ? "" : `Search, sort and the count need the catalogue (it is ${status.toLowerCase()}).`;
}

let searchTimer;
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(restart, 250);
});
$("sort").addEventListener("change", restart);
$("find").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  restart();
});

/** Asks the catalogue's status; while it syncs, asks again, and starts over with search and sort once ready. */
async function watchCatalogue(first = false) {
  let status = "OFF";
  try {
    const { data } = await request(CATALOGUE, {});
    status = data?.catalogue?.status ?? "OFF";
  } catch {
    // Unreachable for now: the plain list is served meanwhile.
  }
  const switched = !catalogueReady && status === "READY";
  enableFinding(status === "READY", status);
  if (status === "SYNCING") setTimeout(() => void watchCatalogue(), 3000);
  if (switched && !first) restart();
}

void watchCatalogue(true).then(() => observer.observe(more));

// ---- Direct upload: a draft and its URL from the API, the file straight from the browser to it ----

function uploadStatus(text, percent) {
  $("upload").hidden = false;
  $("upload-status").textContent = text;
  if (percent !== undefined) $("upload-progress").value = percent;
}

/** XHR rather than fetch: it reports upload progress. */
function postFile(uploadURL, file) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", uploadURL);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) uploadStatus("Uploading…", Math.round((e.loaded / e.total) * 100));
    });
    xhr.addEventListener("load", () =>
      xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`the upload URL answered ${xhr.status}`)),
    );
    xhr.addEventListener("error", () => reject(new Error("the upload URL could not be reached")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

async function upload(file) {
  $("upload-name").textContent = file.name;
  uploadStatus("Asking for an upload URL…", 0);
  const controller = new AbortController();
  try {
    const { data } = await request(CREATE_UPLOAD, { input: { creator: "gallery" } });
    const created = data.createDirectUpload;
    if (created.__typename !== "CreateDirectUploadPayload") throw new Error(created.message);
    const { imageId } = created.image;
    // Subscribed before the file goes: the event cannot be missed, and it comes at once if already ready.
    const ready = new Promise((resolve, reject) => {
      subscribe(
        READY,
        { imageId },
        (result) => {
          if (result.data?.imageReady) resolve(result.data.imageReady);
          else reject(new Error(result.errors?.map((e) => e.message).join(" ") ?? "no image"));
        },
        controller.signal,
      ).catch(reject);
    });
    ready.catch(() => undefined);
    await postFile(created.uploadURL, file);
    uploadStatus("Uploaded; waiting until the image is ready…", 100);
    const image = await ready;
    put(image, { first: true });
    uploadStatus(`Ready: ${image.filename ?? image.imageId}`, 100);
    // The panel shows only while an upload runs: a moment to read the outcome, then it goes.
    setTimeout(() => {
      $("upload").hidden = true;
    }, 2000);
  } catch (error) {
    uploadStatus(`Upload failed: ${error.message}`);
  } finally {
    controller.abort();
  }
}

$("file").addEventListener("change", (event) => {
  const [file] = event.target.files;
  event.target.value = "";
  if (file) void upload(file);
});

// ---- Editing metadata ----

let editing = null;

function openEditor(image) {
  editing = image;
  $("edit-name").textContent = image.filename ?? image.imageId;
  $("edit-creator").value = image.creator ?? "";
  $("edit-meta").value = JSON.stringify(image.meta ?? {}, null, 2);
  $("edit-error").hidden = true;
  $("editor").showModal();
}

$("edit-cancel").addEventListener("click", () => $("editor").close());

$("edit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const fail = (text) => {
    $("edit-error").textContent = text;
    $("edit-error").hidden = false;
  };
  let metadata;
  try {
    metadata = JSON.parse($("edit-meta").value || "{}");
  } catch {
    return fail("The metadata is not valid JSON.");
  }
  const input = { imageId: editing.imageId, metadata };
  const creator = $("edit-creator").value.trim();
  if (creator) input.creator = creator;
  $("edit-save").disabled = true;
  try {
    const { data } = await request(UPDATE, { input });
    const result = data.updateImage;
    if (result.__typename !== "UpdateImagePayload") return fail(result.message);
    put(result.image);
    $("editor").close();
  } catch (error) {
    fail(error.message);
  } finally {
    $("edit-save").disabled = false;
  }
});

// ---- Credentials ----

$("token").value = credentials.token;
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  credentials.token = $("token").value.trim();
  location.reload();
});
